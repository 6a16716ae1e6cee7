"""Reading the project's YAML files with errors that name the file and line."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from plangraph.errors import PlangraphError


class Lines:
    """Where the mappings and lists of one YAML document are: 1-based lines of the file.

    ``of(obj)`` is the line a mapping or list starts on, ``of(obj, key)`` the line of one of
    its keys (mapping) or items (list), falling back to the line the mapping or list starts
    on when it has no such key or item; ``root`` is the line the document's value starts on
    (None for a file of only comments), ``end`` the file's last line (None for an empty file).
    """

    def __init__(self, end: int | None = None) -> None:
        self.root: int | None = None
        self.end = end
        # id(obj) -> (obj, start line, line of each key / item); obj kept so ids stay unique
        self._at: dict[int, tuple[object, int, dict[object, int]]] = {}

    def record(self, obj: object, line: int, parts: dict[object, int]) -> None:
        self._at[id(obj)] = (obj, line, parts)

    def of(self, obj: object, part: object = None) -> int | None:
        found = self._at.get(id(obj))
        if found is None or found[0] is not obj:
            return None
        if part is None:
            return found[1]
        try:
            return found[2].get(part, found[1])
        except TypeError:  # an unhashable key
            return found[1]


class _LineLoader(yaml.SafeLoader):
    """yaml.SafeLoader that records in ``self.lines`` where each mapping and list starts."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.lines = Lines(end=len(stream.splitlines()) or None)

    def construct_document(self, node: yaml.Node) -> Any:
        self.lines.root = node.start_mark.line + 1
        return super().construct_document(node)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        obj = super().construct_object(node, deep=deep)
        if isinstance(node, yaml.MappingNode) and isinstance(obj, dict):
            parts: dict[object, int] = {}
            for key, _value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    parts.setdefault(key.value, key.start_mark.line + 1)
            self.lines.record(obj, node.start_mark.line + 1, parts)
        elif isinstance(node, yaml.SequenceNode) and isinstance(obj, list):
            items: dict[object, int] = {
                i: item.start_mark.line + 1 for i, item in enumerate(node.value)
            }
            self.lines.record(obj, node.start_mark.line + 1, items)
        return obj


def read_yaml(path: Path, error: type[PlangraphError], missing: str) -> tuple[Any, Lines]:
    """(parsed value, where its mappings and lists are) of a YAML file; ``error`` naming the
    file and line otherwise."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise error(missing, file=path) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise error(f"not valid UTF-8 ({exc.reason})", file=path, line=line) from None
    loader: _LineLoader | None = None
    try:
        loader = _LineLoader(text)  # refuses a character YAML does not allow, at once
        return loader.get_single_data(), loader.lines
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise error(
            f"not valid YAML: {exc.problem or exc}",
            file=path,
            line=mark.line + 1 if mark is not None else None,
        ) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow
        line = text.count("\n", 0, exc.position) + 1
        raise error(f"not valid YAML: {exc}", file=path, line=line) from None
    except yaml.YAMLError as exc:
        raise error(f"not valid YAML: {exc}", file=path) from None
    finally:
        if loader is not None:
            loader.dispose()


class Reading:
    """Where a YAML loader is: the file and the line of the entry it is reading, set by the
    loader as it goes, for :func:`wrong_types` to name."""

    def __init__(self, file: Path) -> None:
        self.file = file
        self.line: int | None = None

    def entry(self, line: int | None, file: Path | None = None) -> None:
        if file is not None:
            self.file = file
        self.line = line


@contextmanager
def wrong_types(error: type[PlangraphError], what: str, path: Path) -> Iterator[Reading]:
    """Inside: a value of the wrong type in a YAML file's structure (a list where a string
    belongs, a number where a list does) becomes ``error`` naming ``path``, never a crash; at
    the line of the entry being read, where the loader says which (``Reading.entry``)."""
    reading = Reading(path)
    try:
        yield reading
    except PlangraphError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
        where = " (in the entry at this line)" if reading.line is not None else ""
        raise error(
            f"malformed {what}{where}: {type(exc).__name__}: {exc}",
            file=reading.file,
            line=reading.line,
        ) from None


@contextmanager
def read_mapping(
    path: Path,
    error: type[PlangraphError],
    what: str,
    missing: str,
    expected: str,
    lists: Sequence[str],
) -> Iterator[tuple[dict[str, Any], Lines, Reading]]:
    """Inside: (parsed value, where its mappings and lists are, the entry being read) of a YAML
    file whose value must be a mapping (with ``expected``, as the error says) in which each key
    of ``lists`` holds a list if anything; ``error`` naming the file and line otherwise. Inside
    too, a value of the wrong type anywhere in the file (:func:`wrong_types`, ``what`` the
    file's name in its message) is ``error`` naming the file, never a crash."""
    with wrong_types(error, what, path) as reading:
        raw, lines = read_yaml(path, error, missing)
        if not isinstance(raw, dict):
            raise error(
                f"expected a mapping with {expected}"
                + (", found no content before the end of the file" if raw is None else ""),
                file=path,
                line=lines.root or lines.end,
            )
        for key in lists:
            if not isinstance(raw.get(key) or [], list):
                raise error(f"'{key}' must be a list", file=path, line=lines.of(raw, key))
        yield raw, lines, reading
