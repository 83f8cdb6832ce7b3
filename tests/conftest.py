import json
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def photos():
    """name -> path of the real test photos (scripts/fetch_test_photos.sh gathers them)."""
    folder = DATA / "photos"
    truth = json.loads((DATA / "photos.json").read_text())["photos"]
    missing = [name for name in truth if not (folder / name).is_file()]
    if missing:
        pytest.fail(f"test photos missing ({', '.join(missing)}): run scripts/fetch_test_photos.sh")
    return {name: folder / name for name in truth}


@pytest.fixture(scope="session")
def truth():
    return json.loads((DATA / "photos.json").read_text())["photos"]


@pytest.fixture(scope="session")
def vtest():
    """A real clip: Debian opencv-doc's vtest.avi (people walking past a van)."""
    path = DATA / "photos" / "vtest.avi"
    if not path.is_file():
        pytest.fail("tests/data/photos/vtest.avi missing: run scripts/fetch_test_photos.sh")
    return path
