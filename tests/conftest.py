"""Shared fixtures, and the test tiers.

Markers (registered in pyproject.toml):

- ``photos``: needs the real photos in tests/data/photos/ (scripts/fetch_test_photos.sh
  gathers them). Added here to every test that uses the ``photos`` or ``vtest`` fixture.
  A missing photo skips the test, naming the script, except under ``CI=true``, where it fails.
- ``slow``: long end-to-end checks (over about 3 s), and the costlier of several similar checks
  (CLI start-ups, extra formats), so that the default run stays under a minute; marked in the test modules.
- ``hub``: quality mode (needs see2sound[hub]: torch, tiny random models). Added here to
  everything under tests/hub/.
- ``browser``: the studio in Chromium through Playwright (tests/studio/test_browser.py).

Plain ``pytest`` runs the quick tier (pyproject.toml's addopts deselects slow, hub and
browser); ``pytest -m ""`` runs every tier; scripts/test.sh sets everything up and does that.
"""

import atexit
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).parent
DATA = HERE / "data"
FETCH = "scripts/fetch_test_photos.sh"

# The tests never read or write the user's own see2sound folders (library config, caches, imported
# sounds): each run gets fresh XDG folders, inherited by the processes the tests start.
_USER_DIRS = tempfile.mkdtemp(prefix="see2sound-tests-home-")
atexit.register(shutil.rmtree, _USER_DIRS, ignore_errors=True)
for _variable in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
    os.environ[_variable] = os.path.join(_USER_DIRS, _variable.split("_")[1].lower())


def _missing_photos(names):
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    message = (f"test photos missing ({shown}): run {FETCH} "
               '(it needs scikit-image and matplotlib: pip install -e ".[test]")')
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI=true, so this fails instead of skipping", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def photos():
    """name -> path of the real test photos (scripts/fetch_test_photos.sh gathers them)."""
    folder = DATA / "photos"
    truth = json.loads((DATA / "photos.json").read_text())["photos"]
    missing = [name for name in truth if not (folder / name).is_file()]
    if missing:
        _missing_photos(missing)
    return {name: folder / name for name in truth}


@pytest.fixture(scope="session")
def truth():
    return json.loads((DATA / "photos.json").read_text())["photos"]


@pytest.fixture(scope="session")
def vtest():
    """A real clip: Debian opencv-doc's vtest.avi (people walking past a van)."""
    path = DATA / "photos" / "vtest.avi"
    if not path.is_file():
        _missing_photos(["vtest.avi"])
    return path


def _may_select(markexpr: str, markers: set[str]) -> bool:
    """Whether the -m expression can select a test that has ``markers`` (any others, either way)."""
    if not markexpr:
        return True
    try:
        from _pytest.mark.expression import Expression

        expression = Expression.compile(markexpr)
    except Exception:  # an expression pytest itself will refuse, or a pytest without this module
        return True
    others = sorted(set(re.findall(r"[\w.-]+", markexpr)) - {"and", "or", "not"} - markers)
    if len(others) > 10:
        return True
    for bits in range(2 ** len(others)):
        chosen = markers | {name for i, name in enumerate(others) if bits >> i & 1}
        if expression.evaluate(lambda name, /, **kwargs: name in chosen):
            return True
    return False


def pytest_ignore_collect(collection_path, config):
    """Skip importing tests/hub (torch, transformers: seconds) when -m deselects every hub test anyway."""
    if collection_path == HERE / "hub" and not _may_select(config.option.markexpr, {"hub"}):
        return True
    return None


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(config, items):
    hub = HERE / "hub"
    for item in items:
        if {"photos", "vtest"} & set(item.fixturenames):
            item.add_marker(pytest.mark.photos)
        if hub in item.path.parents:
            item.add_marker(pytest.mark.hub)
