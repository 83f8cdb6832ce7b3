"""The studio: a local web app to see, move and hear the sources (``see2sound serve``).

Needs ``pip install "see2sound[studio]"`` (FastAPI, uvicorn, python-multipart).

Contents
--------
app      the HTTP API and the page (:func:`create_app`)
store    job state in SQLite, files per job
jobs     the worker pool that analyses, sounds and renders
edits    what a client may change in a scene; the sound library search
uploads  what an upload is, from its bytes
static/  the page (HTML, CSS, JavaScript; no CDN)
"""
