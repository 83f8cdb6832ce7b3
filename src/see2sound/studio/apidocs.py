"""The API's documentation pages, from local files (no CDN): Swagger UI at ``/docs``, ReDoc at ``/redoc``.

Their scripts and styles come from the ``fastapi-offline`` package (part of
``see2sound[studio]``), served under ``/static-docs``. The Swagger UI page
carries the studio's token like the studio's own page, so its "Try it out"
can change things too (``static/docs.js`` adds the token header). Without
the package both pages answer 404, pointing at the OpenAPI description,
``/openapi.json``, which is always served.

Contents
--------
add_docs, with_token, CONTENT_SECURITY
"""

from __future__ import annotations

import html
from importlib import resources
from pathlib import Path

TOKEN_META = '<meta name="see2sound-token" content="">'
#: Content-Security-Policy of the pages: nothing from elsewhere (the docs' scripts set inline styles).
CONTENT_SECURITY = {
    "page": "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; style-src 'self'; "
            "script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
    "docs": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
            "worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'",
}
MISSING = ('the API docs pages need the fastapi-offline package: pip install "see2sound[studio]"; '
           "the OpenAPI description is at /openapi.json")


def with_token(page: str, token: str) -> str:
    """The HTML ``page`` with the studio's token in its ``see2sound-token`` meta tag."""
    return page.replace(TOKEN_META, f'<meta name="see2sound-token" content="{html.escape(token)}">', 1)


def _assets() -> Path | None:
    try:
        import fastapi_offline
    except ImportError:
        return None
    folder = Path(fastapi_offline.__file__).parent / "static"
    return folder if (folder / "swagger-ui-bundle.js").is_file() else None


def add_docs(app, token: str) -> None:
    """Add ``/docs`` and ``/redoc`` to a FastAPI ``app`` made with ``docs_url=None, redoc_url=None``."""
    from fastapi.openapi.docs import get_redoc_html
    from fastapi.responses import HTMLResponse, JSONResponse
    from fastapi.staticfiles import StaticFiles

    assets = _assets()
    if assets is None:
        @app.get("/docs", include_in_schema=False)
        @app.get("/redoc", include_in_schema=False)
        def no_docs():
            return JSONResponse({"error": MISSING}, status_code=404)
        return

    app.mount("/static-docs", StaticFiles(directory=assets), name="static-docs")
    page = (Path(str(resources.files("see2sound") / "studio" / "static")) / "docs.html").read_text(encoding="utf-8")
    swagger = with_token(page, token)

    @app.get("/docs", include_in_schema=False)
    def swagger_ui():
        return HTMLResponse(swagger)

    @app.get("/redoc", include_in_schema=False)
    def redoc():
        return get_redoc_html(openapi_url="/openapi.json", title=f"{app.title}: API",
                              redoc_js_url="/static-docs/redoc.standalone.js", redoc_favicon_url="data:,",
                              with_google_fonts=False)
