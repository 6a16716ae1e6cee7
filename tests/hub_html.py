"""A small reader of the hub pages' HTML for the tests (stdlib html.parser, no dependency):
every element with its attributes, its text and its ancestors, so a test can ask for "the
links inside #plan-columns" or "the cells of table#years"."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parent: Element | None
    children: list[Element] = field(default_factory=list)
    parts: list[str | Element] = field(default_factory=list)

    @property
    def id(self) -> str | None:
        return self.attrs.get("id")

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    @property
    def text(self) -> str:
        out = []
        for p in self.parts:
            out.append(p if isinstance(p, str) else p.text)
        return " ".join("".join(out).split())

    def iter(self):
        yield self
        for c in self.children:
            yield from c.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs: str):
        for e in self.iter():
            if e is self:
                continue
            if tag and e.tag != tag:
                continue
            if cls and cls not in e.classes:
                continue
            if any(e.attrs.get(k.replace("_", "-")) != v for k, v in attrs.items()):
                continue
            yield e

    def find(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> Element:
        found = next(self.find_all(tag, cls, **attrs), None)
        assert found is not None, f"no <{tag or '*'}> class={cls} {attrs} in <{self.tag}>"
        return found

    def by_id(self, id_: str) -> Element:
        return self.find(id=id_)

    def links(self) -> list[Element]:
        return list(self.find_all("a"))


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        e = Element(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(e)
        self.current.parts.append(e)
        if tag not in VOID:
            self.current = e

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        e = Element(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(e)
        self.current.parts.append(e)

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.parts.append(data)


def parse_html(text: str) -> Element:
    p = _Parser()
    p.feed(text)
    p.close()
    return p.root
