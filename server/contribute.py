"""/contribute: upload a plan workbook, see every problem at its cell, a preview of the plan
and download it as TriG. The server stores nothing (it stays read-only): the upload is read
into memory, checked (plangraph.views.contribute) and dropped; ``plangraph import`` adds a plan.

Limits: the request must say its length (411 otherwise) and be at most the workbook size limit
(plus the form's overhead: 413 otherwise); the archive is checked for bombs before anything is
unpacked (plangraph.sources.workbook.reader).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from plangraph.errors import UploadError, WorkbookError
from plangraph.settings import Settings
from plangraph.sources.workbook.reader import MAX_FILE_BYTES
from plangraph.store.base import Store
from plangraph.views.contribute import Contribution, blank_template, check_upload
from plangraph.views.read_model import GraphApi
from server import pages

FORM_OVERHEAD = 64 * 1024  # multipart headers and boundaries around the file


async def _upload(request: Request) -> tuple[bytes, str]:
    length = request.headers.get("content-length", "")
    if not length.isdigit():
        raise UploadError("the upload must state its length (Content-Length)", 411)
    if int(length) > MAX_FILE_BYTES + FORM_OVERHEAD:
        raise UploadError(
            f"the upload is {int(length)} bytes: a workbook may have at most {MAX_FILE_BYTES}",
            413,
        )
    form = await request.form(max_files=1, max_fields=4)
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        raise UploadError("choose a workbook file (.xlsx, .ods, or a .zip of CSV files)", 400)
    data = await file.read(MAX_FILE_BYTES + 1)
    await form.close()
    return data, file.filename


def _status(exc: WorkbookError) -> int:
    return 413 if any(p.get("code") == "too-large" for p in exc.problems) else 400


def router(settings: Settings, store: Store) -> APIRouter:
    r = APIRouter(include_in_schema=False)
    paths = settings.paths

    async def checked(request: Request) -> Contribution:
        data, name = await _upload(request)
        return await run_in_threadpool(check_upload, data, name, paths)

    def page(request: Request, status: int = 200, **context: Any) -> HTMLResponse:
        return pages.render(request, "contribute.html", context, status_code=status)

    @r.get("/contribute", response_class=HTMLResponse)
    def contribute_page(request: Request) -> HTMLResponse:
        return page(request)

    @r.post("/contribute", response_class=HTMLResponse)
    async def contribute_check(request: Request) -> HTMLResponse:
        try:
            result = await checked(request)
        except WorkbookError as exc:
            return page(request, _status(exc), problems=exc.problems, unreadable=True)
        except UploadError as exc:
            return page(request, exc.http_status, upload_error=exc.message)
        return page(
            request,
            file=result.name,
            problems=[p.to_json() for p in result.report.problems],
            preview=result.preview() if result.valid else None,
        )

    @r.post("/contribute.trig", response_model=None)
    async def contribute_trig(request: Request) -> Response:
        try:
            result = await checked(request)
        except WorkbookError as exc:
            return page(request, _status(exc), problems=exc.problems, unreadable=True)
        except UploadError as exc:
            return page(request, exc.http_status, upload_error=exc.message)
        if not result.valid:
            problems = [p.to_json() for p in result.report.problems]
            return page(request, 422, file=result.name, problems=problems)
        slug = result.parsed.info.slug if result.parsed else "plan"
        return Response(
            await run_in_threadpool(result.trig),
            media_type="application/trig",
            headers={"Content-Disposition": f'attachment; filename="{slug}.trig"'},
        )

    @r.post("/contribute/plan", response_class=HTMLResponse)
    async def contribute_plan_page(request: Request) -> HTMLResponse:
        """The plan page itself, over a store holding only this plan (with the ontology and
        the registry): how the plan will look once imported."""
        try:
            result = await checked(request)
        except WorkbookError as exc:
            return page(request, _status(exc), problems=exc.problems, unreadable=True)
        except UploadError as exc:
            return page(request, exc.http_status, upload_error=exc.message)
        if not result.valid or result.parsed is None:
            problems = [p.to_json() for p in result.report.problems]
            return page(request, 422, file=result.name, problems=problems)
        store = await run_in_threadpool(result.preview_store, paths)
        api = GraphApi(store, paths.queries / "api")
        slug = result.parsed.info.slug
        return await run_in_threadpool(pages.plan_page, request, api, slug)

    @r.post("/api/contribute")
    async def contribute_api(request: Request) -> JSONResponse:
        """Check an uploaded plan workbook (multipart field ``file``): every problem at its cell
        and, when valid, the plan as the preview shows it. Nothing is stored."""
        try:
            result = await checked(request)
        except WorkbookError as exc:
            return JSONResponse(exc.to_json(), status_code=_status(exc))
        except UploadError as exc:
            return JSONResponse(exc.to_json(), status_code=exc.http_status)
        return JSONResponse(result.to_json())

    @r.get("/contribute/plan-template.xlsx")
    def template() -> Response:
        return Response(
            blank_template(paths),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": 'attachment; filename="plan-template.xlsx"'},
        )

    return r
