"""The studio's HTTP API and page (FastAPI; OpenAPI at ``/docs``).

=========================================  ==================================================
``POST /api/jobs``                          multipart ``file`` (+ ``duration``, ``seed``,
                                            ``hfov``, ``max_sources``) -> 202 ``{"id"}``
``GET /api/jobs/{id}``                      status, progress 0..1, stage, error
``GET /api/jobs/{id}/scene``                the scene (see2sound.scene/1)
``PUT /api/jobs/{id}/scene``                the edited scene -> 202, re-rendered as a job
``GET /api/jobs/{id}/result?format=F``      audio (binaural, foa, stereo, 5.1, 7.1), WAV
``GET /api/jobs/{id}/picture``              the picture the sources were found in (PNG)
``DELETE /api/jobs/{id}``                   forget a finished job and its files
``GET /api/library?q=WORDS``                sounds a source can be given (keys for ``sound.choice``)
``GET /api/components``                    the registered detectors, depth, sounds, renderers and formats
=========================================  ==================================================

Safety: request bodies are limited (uploads ``max_upload_mb``, default 50
MB; anything else 16 MB) while they stream in, answered 413; an upload's
type comes from its bytes, and it is decoded before a job is made (415 /
422 otherwise); ids are 128-bit random; files are served only from the job
store by fixed names (:meth:`~.store.JobStore.file`); the client never
names a path. Every error is JSON ``{"error": "..."}`` with a 4xx status;
a 500 means a bug. Bound to a loopback address, the studio also refuses
requests whose ``Host`` is not a loopback name (DNS rebinding).

Contents
--------
create_app
"""


import contextlib
import json
import logging
import os
import tempfile
from importlib import resources
from pathlib import Path

from ..errors import MissingExtraError, See2SoundError
from ..formats import FORMATS as FORMATS_REGISTRY
from ..pipeline import Pipeline
from ..registry import list_components
from ..scene import Scene
from ..sound import load_libraries
from .edits import apply_edits, search
from .jobs import FORMATS, JobOptions, Runner
from .store import JobStore
from .uploads import UploadError, check, sniff

log = logging.getLogger("see2sound.studio")

DEFAULT_MAX_UPLOAD_MB = 50
OTHER_BODY_LIMIT = 16 * 1024 * 1024  # a long video's scene, with its trajectories
MULTIPART_SLACK = 64 * 1024  # the form's own bytes around the file
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")
CHUNK = 1024 * 1024


class BodyLimit:
    """ASGI middleware: 413 once a request body passes its limit (counted as it streams in)."""

    def __init__(self, app, upload_limit: int):
        self.app, self.upload_limit = app, upload_limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        limit = self.upload_limit + MULTIPART_SLACK if scope["path"] == "/api/jobs" else OTHER_BODY_LIMIT
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await _send_json(send, 413, {"error": f"too large: at most {limit // (1024 * 1024)} MB"})
        seen = 0
        exceeded = answered = False
        too_large = {"error": f"too large: at most {limit // (1024 * 1024)} MB"}

        async def counted():
            # Past the limit the app sees the client go away; whatever it answers is replaced by a 413.
            nonlocal seen, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def watched(message):
            nonlocal answered
            if exceeded:
                if not answered:
                    answered = True
                    await _send_json(send, 413, too_large)
                return
            answered = answered or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not answered:
            await _send_json(send, 413, too_large)


class HostCheck:
    """ASGI middleware: only the given Host names (against DNS rebinding of a loopback server)."""

    def __init__(self, app, hosts: tuple[str, ...]):
        self.app, self.hosts = app, {h.lower() for h in hosts}

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1").lower()
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if name not in self.hosts:
                return await _send_json(send, 421, {"error": f"unexpected host {host!r}"})
        return await self.app(scope, receive, send)


async def _send_json(send, status: int, body: dict) -> None:
    data = json.dumps(body).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]})
    await send({"type": "http.response.body", "body": data})


def create_app(data_dir: str | os.PathLike, *, max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB, workers: int = 2,
               libraries: tuple[str, ...] = (), allowed_hosts: tuple[str, ...] | None = None,
               detector: str = "ensemble"):
    """The studio as an ASGI app (jobs in ``data_dir``). ``allowed_hosts``: Host names accepted (None: any).

    ``detector``: any registered detector's name, for the pictures of every job.
    """
    try:
        from fastapi import FastAPI, File, Form, HTTPException, Query, Request, UploadFile
        from fastapi.exceptions import RequestValidationError
        from fastapi.responses import FileResponse, JSONResponse
        from fastapi.staticfiles import StaticFiles
    except ImportError:
        raise MissingExtraError("the studio", "studio") from None

    store = JobStore(data_dir)
    runner = Runner(store, workers=workers, libraries=libraries,
                    pipeline=Pipeline.from_preset("offline", detector=detector, libraries=tuple(libraries)))
    library = load_libraries(tuple(libraries))
    upload_limit = int(max_upload_mb * 1024 * 1024)
    incoming = store.root / "incoming"
    incoming.mkdir(exist_ok=True)
    static = Path(str(resources.files("see2sound") / "studio" / "static"))

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        yield
        runner.shutdown()

    app = FastAPI(title="see2sound studio", version="1", lifespan=lifespan,
                  description="Turn a picture or a video into spatial audio; see, move and hear the sources.")
    app.state.store, app.state.runner = store, runner

    # -- errors: always JSON {"error": ...} ------------------------------------------------------------------------

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException):
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
        return JSONResponse({"error": f"{where}: {first.get('msg', 'invalid request')}".strip(": ")},
                            status_code=422)

    @app.exception_handler(See2SoundError)
    async def _user_error(request: Request, exc: See2SoundError):
        return JSONResponse({"error": str(exc)}, status_code=422)

    @app.exception_handler(UploadError)
    async def _upload_error(request: Request, exc: UploadError):
        return JSONResponse({"error": str(exc)}, status_code=exc.status)

    @app.middleware("http")
    async def _headers(request: Request, call_next):
        response = await call_next(request)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
        if request.url.path == "/" or request.url.path.startswith("/static"):
            response.headers["Content-Security-Policy"] = (
                "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; style-src 'self'; "
                "script-src 'self'; connect-src 'self'; frame-ancestors 'none'")
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

    # -- the page ------------------------------------------------------------------------------------------------------

    @app.get("/", include_in_schema=False)
    def page():
        return FileResponse(static / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=static), name="static")

    # -- jobs ----------------------------------------------------------------------------------------------------------

    @app.post("/api/jobs", status_code=202, summary="Upload a picture or video; a job analyses and renders it")
    def create_job(file: UploadFile = File(..., description="a picture (JPEG, PNG, WebP, GIF, BMP, TIFF) or "
                                                            "a video (MP4, MOV, MKV/WebM, AVI)"),
                   duration: float = Form(10.0, description="seconds of audio for a picture (0 < d <= 120)"),
                   seed: int = Form(0), hfov: float | None = Form(None, description="horizontal field of view"),
                   max_sources: int = Form(6)):
        options = JobOptions(duration_s=duration, seed=seed, hfov_deg=hfov, max_sources=max_sources)
        fd, tmp_name = tempfile.mkstemp(dir=incoming, prefix="upload-")
        tmp = Path(tmp_name)
        try:
            size = 0
            with os.fdopen(fd, "wb") as out:
                while chunk := file.file.read(CHUNK):
                    size += len(chunk)
                    if size > upload_limit:
                        raise UploadError(413, f"too large: at most {max_upload_mb:g} MB")
                    out.write(chunk)
            if size == 0:
                raise UploadError(400, "the file is empty")
            with open(tmp, "rb") as f:
                kind = sniff(f.read(64))
            if kind is None:
                raise UploadError(415, "not a picture or video this studio can read "
                                       "(JPEG, PNG, WebP, GIF, BMP, TIFF; MP4, MOV, MKV, WebM, AVI)")
            check(tmp, kind)
            name = Path(file.filename or "upload").name
            job = store.create(kind.kind, name, kind.suffix, tmp, options.to_json())
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
        job = job_or_404(job_id)
        if job.status in ("queued", "running"):
            raise HTTPException(409, f"the job is {job.status}")
        with runner.lock(job_id):
            store.delete(job_id)
        return {"deleted": job_id}

    @app.get("/api/jobs/{job_id}/scene", summary="The job's scene (see2sound.scene/1)")
    def get_scene(job_id: str):
        done_or_409(job_id)
        path = store.file(job_id, "scene")
        if path is None:
            raise HTTPException(404, "the job has no scene")
        return JSONResponse(json.loads(path.read_text(encoding="utf-8")))

    @app.put("/api/jobs/{job_id}/scene", status_code=202, summary="Edit the scene; the job renders it again")
    async def put_scene(job_id: str, request: Request):
        raw = await request.body()
        try:
            document = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise HTTPException(400, f"the body is not JSON ({exc})") from None
        if not isinstance(document, dict):
            raise HTTPException(422, "the body must be a scene object")
        from starlette.concurrency import run_in_threadpool

        return await run_in_threadpool(_edit, job_id, document)

    def _edit(job_id: str, document: dict) -> dict:
        job = done_or_409(job_id)
        with runner.lock(job_id):
            folder = store.folder(job_id)
            scene_file = store.file(job_id, "scene")
            if scene_file is None:
                raise HTTPException(404, "the job has no scene")
            stored = Scene.load(scene_file)
            options = JobOptions(**job.options)
            edited = apply_edits(stored, document, library, folder / "stems", seed=options.seed,
                                 sample_rate=options.sample_rate)
            edited.save(folder / "scene.json")
            runner.clear_results(job_id)
            if not store.requeue(job_id):
                raise HTTPException(409, "the job is busy")
        runner.submit(job_id)
        return {"id": job_id, "status": "queued"}

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
                "formats": [{"name": f.name, "channels": f.channels, "labels": list(f.labels)}
                            for f in FORMATS_REGISTRY.values()],
                "pipeline": runner.pipeline.describe()}

    @app.get("/api/library", summary="Sounds a source can be given: use a result's key as sound.choice")
    def get_library(q: str = Query("", max_length=200)):
        return {"results": search(library, q)}

    # Middleware runs outermost-last: the body limit and the host check see the raw request first.
    app.add_middleware(BodyLimit, upload_limit=upload_limit)
    if allowed_hosts is not None:
        app.add_middleware(HostCheck, hosts=tuple(allowed_hosts))
    return app
