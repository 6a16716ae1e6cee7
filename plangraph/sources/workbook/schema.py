"""The workbook's schema (schema.json): sheets, their fields, keys and references."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SCHEMA_FILE = Path(__file__).with_name("schema.json")


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # string, integer, number, year, boolean, list, year-list
    description: str
    required: bool = False
    pattern: str | None = None
    list_name: str | None = None  # a list of allowed values plangraph supplies ("roles")
    separator: str = ","


@dataclass(frozen=True)
class ForeignKey:
    field: str
    resource: str
    target: str


@dataclass(frozen=True)
class Resource:
    name: str  # "steps"
    sheet: str  # "Steps": the sheet's name, or the CSV file's stem
    description: str
    fields: tuple[Field, ...]
    vertical: bool = False
    primary_key: str | None = None
    foreign_keys: tuple[ForeignKey, ...] = ()

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


@dataclass(frozen=True)
class Schema:
    title: str
    description: str
    resources: tuple[Resource, ...]

    def resource(self, name: str) -> Resource:
        for r in self.resources:
            if r.name == name:
                return r
        raise KeyError(name)


def _field(raw: dict) -> Field:
    constraints = raw.get("constraints", {})
    return Field(
        name=raw["name"],
        type=raw["type"],
        description=raw.get("description", ""),
        required=bool(constraints.get("required", False)),
        pattern=constraints.get("pattern"),
        list_name=raw.get("x-list"),
        separator=raw.get("x-separator", ","),
    )


@cache
def load_schema(path: Path = SCHEMA_FILE) -> Schema:
    raw = json.loads(path.read_text(encoding="utf-8"))
    resources = []
    for r in raw["resources"]:
        s = r["schema"]
        pk = s.get("primaryKey")
        resources.append(
            Resource(
                name=r["name"],
                sheet=r["sheet"],
                description=r.get("description", ""),
                fields=tuple(_field(f) for f in s["fields"]),
                vertical=r.get("x-layout") == "vertical",
                primary_key=pk[0] if pk else None,
                foreign_keys=tuple(
                    ForeignKey(
                        fk["fields"][0], fk["reference"]["resource"], fk["reference"]["fields"][0]
                    )
                    for fk in s.get("foreignKeys", [])
                ),
            )
        )
    return Schema(raw["title"], raw["description"], tuple(resources))


def schema_markdown(schema: Schema | None = None) -> str:
    """The sheets and their columns as Markdown (docs/workbook.md's generated part)."""
    from plangraph.sources.workbook.problems import CODES

    schema = schema or load_schema()
    out = [f"{schema.description}\n"]
    for r in schema.resources:
        out.append(f"### {r.sheet}\n\n{r.description}\n")
        out.append("| column | type | required | allowed values | hint |\n|---|---|---|---|---|")
        for f in r.fields:
            allowed = f"list `{f.list_name}`" if f.list_name else ""
            if f.pattern:
                allowed = (allowed + " " if allowed else "") + f"pattern `{f.pattern}`"
            refs = [fk for fk in r.foreign_keys if fk.field == f.name]
            if refs:
                target = schema.resource(refs[0].resource)
                allowed = (allowed + " " if allowed else "") + (
                    f"a {refs[0].target} of {target.sheet}"
                )
            hint = f.description.replace("|", "\\|")
            key = " (key)" if r.primary_key == f.name else ""
            required = "yes" if f.required else ""
            out.append(f"| `{f.name}`{key} | {f.type} | {required} | {allowed} | {hint} |")
        out.append("")
    out.append("### Problem codes\n\n| code | meaning |\n|---|---|")
    out.extend(f"| `{code}` | {meaning} |" for code, meaning in CODES.items())
    return "\n".join(out) + "\n"
