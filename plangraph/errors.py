"""The project's user-error exceptions: one base type, one subclass per kind of error.

A user error names where it happened: a file and line, a request parameter, or a query
position. The CLI prints ``str(error)`` without a traceback; the server answers with
``error.http_status`` and ``error.to_json()``.
"""

from __future__ import annotations

from pathlib import Path


class PlangraphError(Exception):
    """An error the user can cause and fix. Never raised for our own bugs."""

    exit_code = 2
    http_status = 400
    kind = "error"

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        param: str | None = None,
        position: int | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.param = param
        self.position = position
        super().__init__(str(self))

    def where(self) -> str:
        if self.file is not None and self.line is not None:
            return f"{self.file}:{self.line}"
        if self.file is not None:
            return self.file
        if self.param is not None:
            return f"parameter {self.param!r}"
        if self.position is not None:
            return f"query position {self.position}"
        return ""

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"error": self.kind, "message": str(self)}
        for key in ("file", "line", "param", "position"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


class SourceError(PlangraphError):
    """A source document is missing, changed, or cannot be parsed."""

    kind = "source-error"


class CatalogError(PlangraphError):
    """data/sources/catalog.yaml is malformed or disagrees with the files."""

    kind = "catalog-error"


class RegistryError(PlangraphError):
    """The agency registry is malformed, or a mention does not resolve to one entry."""

    kind = "registry-error"


class CurationError(PlangraphError):
    """A curation entry is malformed or no longer applies to the text."""

    kind = "curation-error"


class ValidationFailed(PlangraphError):
    """The dataset does not conform to the SHACL shapes; nothing was written."""

    kind = "validation-failed"


class DatasetError(PlangraphError):
    """The built dataset is missing or unreadable."""

    kind = "dataset-error"
    http_status = 503


class QueryError(PlangraphError):
    """A SPARQL query or a query parameter is malformed or refused."""

    kind = "query-error"


class QueryRefused(QueryError):
    """A request to change the data (SPARQL Update, Graph Store writes): read-only endpoint."""

    kind = "query-refused"
    http_status = 403


class QueryTimeout(QueryError):
    """A query ran past the time limit and was stopped."""

    kind = "query-timeout"
    http_status = 503


class QueryBusy(QueryError):
    """Every query worker stayed busy for longer than the time limit."""

    kind = "query-busy"
    http_status = 503


class QueryTooLarge(QueryError):
    """A query needed more memory than its worker may take (it was stopped)."""

    kind = "query-too-large"
    http_status = 503


class BodyTooLarge(QueryError):
    """A request body over the endpoint's size limit (refused before it is read whole)."""

    kind = "body-too-large"
    http_status = 413


class RateLimited(PlangraphError):
    """A client went over its budget of expensive requests (see server.ratelimit)."""

    kind = "rate-limited"
    http_status = 429


class NotFound(PlangraphError):
    """A requested resource (plan, agency, source, URI) is not in the graph."""

    kind = "not-found"
    http_status = 404


class NotAcceptable(PlangraphError):
    """None of the media types a request accepts is served for that resource."""

    kind = "not-acceptable"
    http_status = 406


class WorkbookError(PlangraphError):
    """A plan workbook cannot be read or has problems at its cells; nothing was written.

    ``problems``: every problem as JSON (sheet, cell, code, message, suggestions)."""

    kind = "workbook-invalid"

    def __init__(
        self,
        message: str,
        *,
        problems: list[dict[str, object]] | None = None,
        file: str | Path | None = None,
    ) -> None:
        self.problems = problems or []
        super().__init__(message, file=file)

    def to_json(self) -> dict[str, object]:
        out = super().to_json()
        out["problems"] = self.problems
        return out


class UploadError(PlangraphError):
    """An upload a page cannot take: no file, no stated length (411), too large (413)."""

    kind = "upload-error"

    def __init__(self, message: str, http_status: int = 400) -> None:
        super().__init__(message, param="file")
        self.http_status = http_status
