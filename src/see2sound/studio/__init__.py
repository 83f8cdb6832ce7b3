"""The studio: a local web app to see, move and hear the sources (``see2sound serve``).

Needs ``pip install "see2sound[studio]"`` (FastAPI, uvicorn, python-multipart, fastapi-offline).

Contents
--------
app        the HTTP API and the page (:func:`create_app`)
guard      who may talk to it: Host, Origin and the page's token, body size
limits     queued jobs per client and in all, the store's size, the longest duration
retention  old jobs deleted after ``keep_days``
store      job state in SQLite, files per job
jobs       the worker pool that analyses, sounds and renders
edits      what a client may change in a scene; the sound library search
uploads    what an upload is, from its bytes
apidocs    Swagger UI and ReDoc from local files
serve      ``see2sound serve``
static/    the page (HTML, CSS, JavaScript; no CDN)
"""
