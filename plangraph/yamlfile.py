"""Reading the project's YAML files with errors that name the file and line."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from .errors import PlangraphError


def read_yaml(path: Path, error: type[PlangraphError], missing: str) -> tuple[str, Any]:
    """(text, parsed value) of a YAML file; ``error`` naming the file (and line) otherwise."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(missing, file=path) from None
    except UnicodeDecodeError as exc:
        raise error(f"not valid UTF-8 ({exc.reason})", file=path) from None
    try:
        return text, yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise error(
            f"not valid YAML: {getattr(exc, 'problem', None) or exc}",
            file=path,
            line=mark.line + 1 if mark is not None else None,
        ) from None


@contextmanager
def wrong_types(error: type[PlangraphError], what: str, path: Path) -> Iterator[None]:
    """Inside: a value of the wrong type in a YAML file's structure (a list where a string
    belongs, a number where a list does) becomes ``error`` naming ``path``, never a crash."""
    try:
        yield
    except PlangraphError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError, IndexError) as exc:
        raise error(f"malformed {what}: {type(exc).__name__}: {exc}", file=path) from None
