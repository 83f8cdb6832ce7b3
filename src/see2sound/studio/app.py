"""The studio's HTTP API and page (FastAPI; Swagger UI at ``/docs``, OpenAPI at ``/openapi.json``).

=========================================  ==================================================
``POST /api/jobs``                          multipart ``file`` (+ ``duration``, ``seed``,
                                            ``hfov``, ``max_sources``) -> 202 ``{"id"}``
``GET /api/jobs/{id}``                      status, progress 0..1, stage, error
``GET /api/jobs/{id}/scene``                the scene (see2sound.scene/1)
``PUT /api/jobs/{id}/scene``                the edited scene (+ ``add``: sources to add) -> 202
                                            ``{"id", "status", "added"}``, re-rendered as a job
``GET /api/jobs/{id}/result?format=F``      audio (binaural, foa, stereo, 5.1, 7.1), WAV
``GET /api/jobs/{id}/picture``              the picture the sources were found in (PNG)
``DELETE /api/jobs/{id}``                   forget a finished job and its files
``GET /api/library?q=WORDS``                sounds a source can be given (keys for ``sound.choice``)
``GET /api/labels``                         labels a source can be given (to add or relabel one)
``GET /api/components``                    the registered detectors, depth, sounds, renderers and formats
=========================================  ==================================================

Safety (details in the modules named):

- Requests: bound to a loopback address, only loopback ``Host`` names
  (DNS rebinding, 421); a change (POST, PUT, PATCH, DELETE) from a web
  browser only from the studio's own page, with its token (403); a
  request without browser headers (curl, scripts) needs no token
  (:mod:`.guard`). Bodies are limited while they stream in (413).
- Uploads: typed by their bytes and decoded before a job is made (415 /
  422, :mod:`.uploads`); ids are 128-bit random; files are served only
  from the job store by fixed names (:meth:`~.store.JobStore.file`).
- Limits: queued jobs per client and overall (429), the store's size
  (507), the longest duration (422); old jobs expire (:mod:`.limits`,
  :mod:`.retention`).
- Every error is JSON ``{"error": "..."}``: the app's own, FastAPI's and
  Starlette's (404, 405, 422), and a bug's (500, ``"internal error"``).

Contents
--------
create_app
"""


import contextlib
import logging
import os
import re
import secrets
import tempfile
from importlib import resources
from pathlib import Path

from ..errors import InputError, MissingExtraError, ParameterError, See2SoundError
from ..formats import FORMATS as FORMATS_REGISTRY
from ..io import jsondoc
from ..pipeline import Pipeline
from ..registry import list_components
from ..scene import Scene
from ..sound import load_libraries
from ..vision.vocabulary import KINDS
from .apidocs import CONTENT_SECURITY, add_docs, with_token
from .edits import apply_edits, labels, search
from .guard import LOOPBACK_HOSTS, BodyLimit, HostCheck, OriginCheck
from .jobs import FORMATS, JobOptions, Runner
from .limits import Limits, Refused
from .retention import Janitor
from .store import JobStore
from .uploads import check, sniff

__all__ = ["LOOPBACK_HOSTS", "create_app"]

log = logging.getLogger("see2sound.studio")

DEFAULT_MAX_UPLOAD_MB = 50
CHUNK = 1024 * 1024
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_.~-]{16,200}")


def create_app(data_dir: str | os.PathLike, *, max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB, workers: int = 2,
               libraries: tuple[str, ...] = (), allowed_hosts: tuple[str, ...] | None = None,
               detector: str = "ensemble", token: str | None = None, max_jobs_per_client: int = 4,
               max_jobs: int = 16, max_store_gb: float = 10.0, max_duration_s: float = 120.0,
               keep_days: float = 7.0):
    """The studio as an ASGI app (jobs in ``data_dir``). ``allowed_hosts``: Host names accepted (None: any).

    ``detector``: any registered detector's name, for the pictures of every job. ``token``: what the
    studio's page sends with each change (16-200 of ``A-Za-z0-9_.~-``; default: a new random one, in
    ``app.state.token``). ``max_jobs_per_client``, ``max_jobs``, ``max_store_gb``, ``max_duration_s``,
    ``keep_days``: the :class:`~.limits.Limits`.
    """
    try:
        from fastapi import FastAPI, File, Form, HTTPException, Query, Request, UploadFile
        from fastapi.exceptions import RequestValidationError
        from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
        from fastapi.staticfiles import StaticFiles
        from starlette.concurrency import run_in_threadpool
        from starlette.exceptions import HTTPException as StarletteHTTPException
    except ImportError:
        raise MissingExtraError("the studio", "studio") from None

    token = secrets.token_urlsafe(32) if token is None else token
    if not TOKEN_PATTERN.fullmatch(token):
        raise ParameterError("token", "must be 16 to 200 of the characters A-Z a-z 0-9 _ . ~ -")
    limits = Limits(jobs_per_client=max_jobs_per_client, jobs=max_jobs, store_gb=max_store_gb,
                    duration_s=max_duration_s, keep_days=keep_days)
    store = JobStore(data_dir)
    runner = Runner(store, workers=workers, libraries=libraries,
                    pipeline=Pipeline.from_preset("offline", detector=detector, libraries=tuple(libraries)))
    janitor = Janitor(store, runner.delete, limits.keep_days)
    library = load_libraries(tuple(libraries))
    upload_limit = int(max_upload_mb * 1024 * 1024)
    static = Path(str(resources.files("see2sound") / "studio" / "static"))
    index = with_token((static / "index.html").read_text(encoding="utf-8"), token)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        janitor.start()
        yield
        janitor.stop()
        runner.shutdown()

    app = FastAPI(title="see2sound studio", version="1", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Turn a picture or a video into spatial audio; see, move and hear the sources.")
    app.state.store, app.state.runner, app.state.janitor = store, runner, janitor
    app.state.token, app.state.limits = token, limits

    # -- errors: always JSON {"error": ...} ------------------------------------------------------------------------

    @app.exception_handler(StarletteHTTPException)  # FastAPI's HTTPException too, and the router's 404 and 405
    async def _http_error(request: Request, exc: StarletteHTTPException):
        message = str(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = f"not found: {request.url.path[:200]}"
        elif exc.status_code == 405:
            allowed = (exc.headers or {}).get("Allow", "")
            message = f"{request.method} is not allowed on {request.url.path[:200]}" + (
                f" (only {allowed})" if allowed else "")
        return JSONResponse({"error": message}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
        return JSONResponse({"error": f"{where}: {first.get('msg', 'invalid request')}".strip(": ")},
                            status_code=422)

    @app.exception_handler(See2SoundError)
    async def _user_error(request: Request, exc: See2SoundError):
        return JSONResponse({"error": str(exc)}, status_code=422)

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused):
        return JSONResponse({"error": str(exc)}, status_code=exc.status)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception):
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"error": "internal error"}, status_code=500)

    @app.middleware("http")
    async def _headers(request: Request, call_next):
        response = await call_next(request)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
        path = request.url.path
        if path == "/" or path.startswith("/static"):
            response.headers["Content-Security-Policy"] = CONTENT_SECURITY["page"]
        elif path in ("/docs", "/redoc"):
            response.headers["Content-Security-Policy"] = CONTENT_SECURITY["docs"]
        return response

    def job_or_404(job_id: str):
        job = store.get(job_id)
        if job is None:
            raise HTTPException(404, "no such job")
        return job

    def done_or_409(job_id: str):
        job = job_or_404(job_id)
        if job.status != "done":
            raise HTTPException(409, f"the job is {job.status}" + (f": {job.error}" if job.error else ""))
        return job

    def client_of(request: Request) -> str:
        return request.client.host if request.client else ""

    # -- the page ------------------------------------------------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    def page():
        return HTMLResponse(index)

    app.mount("/static", StaticFiles(directory=static), name="static")
    add_docs(app, token)

    # -- jobs ----------------------------------------------------------------------------------------------------------

    @app.post("/api/jobs", status_code=202, summary="Upload a picture or video; a job analyses and renders it")
    def create_job(request: Request,
                   file: UploadFile = File(..., description="a picture (JPEG, PNG, WebP, GIF, BMP, TIFF) or "
                                                            "a video (MP4, MOV, MKV/WebM, AVI)"),
                   duration: float = Form(10.0, description="seconds of audio for a picture (0 < d <= "
                                                            "the studio's maximum, 120 by default)"),
                   seed: int = Form(0), hfov: float | None = Form(None, description="horizontal field of view"),
                   max_sources: int = Form(6)):
        limits.check_duration(duration)
        options = JobOptions(duration_s=duration, seed=seed, hfov_deg=hfov, max_sources=max_sources)
        client = client_of(request)
        limits.admit(*store.active(client))  # before the upload is copied; checked again as the job is made
        fd, tmp_name = tempfile.mkstemp(dir=store.incoming, prefix="upload-")
        tmp = Path(tmp_name)
        try:
            size = 0
            with os.fdopen(fd, "wb") as out:
                while chunk := file.file.read(CHUNK):
                    size += len(chunk)
                    if size > upload_limit:
                        raise Refused(413, f"too large: at most {max_upload_mb:g} MB")
                    out.write(chunk)
            if size == 0:
                raise Refused(400, "the file is empty")
            limits.check_space(store.size())  # the upload is in it already
            with open(tmp, "rb") as f:
                head = f.read(64)
            kind = sniff(head)
            if kind is None:
                from ..vision.image import unsupported_format

                known = unsupported_format(head)
                raise Refused(415, f"{known} is not supported: convert it to JPEG or PNG" if known else
                                  "not a picture or video this studio can read "
                                  "(JPEG, PNG, WebP, GIF, BMP, TIFF; MP4, MOV, MKV, WebM, AVI)")
            length_s = check(tmp, kind)
            if length_s is not None:
                limits.check_duration(length_s, "the video")
            name = Path(file.filename or "upload").name
            janitor.nudge()
            job = store.create(kind.kind, name, kind.suffix, tmp, options.to_json(), client=client,
                               admit=limits.admit)
        finally:
            tmp.unlink(missing_ok=True)
        runner.submit(job.id)
        return {"id": job.id}

    @app.get("/api/jobs", summary="Recent jobs")
    def list_jobs():
        return {"jobs": [j.public() for j in store.all()]}

    @app.get("/api/jobs/{job_id}", summary="A job's status and progress")
    def get_job(job_id: str):
        return job_or_404(job_id).public()

    @app.delete("/api/jobs/{job_id}", summary="Forget a finished job and its files")
    def delete_job(job_id: str):
        job_or_404(job_id)
        if not runner.delete(job_id):
            status = job_or_404(job_id).status
            raise HTTPException(409, f"the job is {status}" if status in ("queued", "running") else
                                "the job is busy (a format is being rendered or an edit taken); try again")
        return {"deleted": job_id}

    @app.get("/api/jobs/{job_id}/scene", summary="The job's scene (see2sound.scene/1)")
    def get_scene(job_id: str):
        done_or_409(job_id)
        path = store.file(job_id, "scene")
        if path is None:
            raise HTTPException(404, "the job has no scene")
        return FileResponse(path, media_type="application/json")

    @app.put("/api/jobs/{job_id}/scene", status_code=202, summary="Edit the scene; the job renders it again",
             description="The body is the job's scene as GET gave it, edited: each source's position, spread, "
                         "gain, muted, label and sound.choice; a source left out is removed. Sources to add go "
                         "in a top-level list, \"add\": [{\"label\": \"person\", \"point\": [u, v]} or "
                         "{\"label\": ..., \"box\": [x0, y0, x1, y1]}], in the picture's pixels; the answer's "
                         "\"added\" names them. A refused edit (422, naming the JSON path) changes nothing.")
    async def put_scene(job_id: str, request: Request):
        done_or_409(job_id)  # an unknown or busy job is answered before its body is parsed
        body = await request.body()
        try:  # parsing a large body takes seconds: off the event loop
            document = await run_in_threadpool(jsondoc.loads, body, what="the body")
        except InputError as exc:  # not JSON, or nested absurdly deep
            raise HTTPException(400, str(exc)) from None
        if not isinstance(document, dict):
            raise HTTPException(422, "the body must be a scene object")
        return await run_in_threadpool(_edit, job_id, document, client_of(request))

    def _edit(job_id: str, document: dict, client: str) -> dict:
        job = done_or_409(job_id)
        limits.admit(*store.active(client))
        limits.check_space(store.size())
        with runner.lock(job_id):
            folder = store.folder(job_id)
            scene_file = store.file(job_id, "scene")
            if scene_file is None:
                raise HTTPException(404, "the job has no scene")
            stored = Scene.load(scene_file)
            before = {s.id for s in stored.sources}
            options = JobOptions(**job.options)
            edited = apply_edits(stored, document, library, folder / "stems", seed=options.seed,
                                 sample_rate=options.sample_rate)
            edited.save(folder / "scene.json")
            runner.clear_results(job_id)
            if not store.requeue(job_id):
                raise HTTPException(409, "the job is busy")
        runner.submit(job_id)
        return {"id": job_id, "status": "queued", "added": [s.id for s in edited.sources if s.id not in before]}

    @app.get("/api/jobs/{job_id}/result", summary="The job's audio in a format (rendered on first request)",
             response_class=FileResponse)
    def get_result(job_id: str, format: str = Query("binaural", description=", ".join(FORMATS))):
        if format not in FORMATS:
            raise HTTPException(422, f"format: one of {', '.join(FORMATS)}")
        job = done_or_409(job_id)
        path = runner.result(job_id, format)
        stem = "".join(c if c.isalnum() or c in "-_" else "-" for c in Path(job.name).stem)[:60] or "see2sound"
        return FileResponse(path, media_type="audio/wav", filename=f"{stem}-{format}.wav")

    @app.get("/api/jobs/{job_id}/picture", summary="The picture the sources were found in (PNG)",
             response_class=FileResponse)
    def get_picture(job_id: str):
        done_or_409(job_id)
        path = store.file(job_id, "picture")
        if path is None:
            raise HTTPException(404, "the job has no picture")
        return FileResponse(path, media_type="image/png")

    @app.get("/api/components", summary="The registered components and output formats")
    def get_components():
        return {"components": {kind: [{"name": n, "summary": text} for n, text in entries]
                               for kind, entries in list_components().items()},
                "formats": [{"name": f.name, "channels": f.channels, "labels": list(f.labels),
                             "description": f.description, "rendering": f.rendering,
                             "ambisonic_order": f.ambisonic_order}
                            for f in FORMATS_REGISTRY.values()],
                "pipeline": runner.pipeline.describe()}

    @app.get("/api/library", summary="Sounds a source can be given: use a result's key as sound.choice")
    def get_library(q: str = Query("", max_length=200)):
        return {"results": search(library, q)}

    sounding = [{"label": name, "audioset": list(KINDS[name].audioset)} for name in labels(library)]

    @app.get("/api/labels", summary="Labels a source can be given: to add one (\"add\") or relabel one")
    def get_labels():
        return {"labels": sounding}

    # Middleware runs outermost-last: the host check, then the origin check, then the body limit see the raw
    # request before the app does.
    app.add_middleware(BodyLimit, upload_limit=upload_limit)
    app.add_middleware(OriginCheck, token=token)
    if allowed_hosts is not None:
        app.add_middleware(HostCheck, hosts=tuple(allowed_hosts))
    return app
