"""The overlay picture and the `analyze` command."""

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from see2sound import Scene


def run(*args):
    return subprocess.run([sys.executable, "-m", "see2sound.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def test_analyze_writes_scene_and_overlay(tmp_path, photos):
    result = run("analyze", photos["bus.jpg"], "-o", tmp_path / "bus.json", "--overlay", tmp_path / "bus.png")
    assert result.returncode == 0, result.stderr
    assert "bus" in result.stdout and "person" in result.stdout
    scene = Scene.load(tmp_path / "bus.json")
    assert (tmp_path / scene.input["path"]).resolve() == photos["bus.jpg"].resolve()
    overlay = np.asarray(Image.open(tmp_path / "bus.png").convert("RGB")).astype(int)
    h, w = overlay.shape[:2]
    assert w > h * 0.9  # picture plus the map beside it
    # The first source's box is drawn in red (230, 25, 75) somewhere on the picture.
    red = (abs(overlay[..., 0] - 230) < 20) & (overlay[..., 1] < 60) & (abs(overlay[..., 2] - 75) < 30)
    assert red[:, : w - 420].sum() > 200
    # The map has the listener (white) at its centre.
    assert (overlay[h // 2 - 3:h // 2 + 3, w - 210 - 3:w - 210 + 3] > 240).all(axis=2).any()


@pytest.mark.slow
def test_hfov_and_projection_options(tmp_path, photos):
    assert run("analyze", photos["zidane.jpg"], "-o", tmp_path / "z.json", "--hfov", "40", "-q").returncode == 0
    data = json.loads((tmp_path / "z.json").read_text())
    assert data["camera"] == {"projection": "perspective", "fov_source": "user", "hfov_deg": 40.0}


@pytest.mark.slow
def test_no_source_gives_ambience_and_a_note(tmp_path, photos):
    result = run("analyze", photos["leuvenA.jpg"], "-o", tmp_path / "l.json")
    assert result.returncode == 0
    assert "note:" in result.stderr and "no sound source" in result.stderr
    assert Scene.load(tmp_path / "l.json").ambience.kind == "urban-street"


@pytest.mark.slow
def test_bad_pictures_are_one_error_line_and_no_output(tmp_path, photos):
    (tmp_path / "fake.jpg").write_text("not a picture")
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(photos["bus.jpg"].read_bytes()[:5000])
    for args in ((tmp_path / "fake.jpg",), (truncated,), (tmp_path / "missing.jpg",),
                 (photos["bus.jpg"], "--hfov", "500"), (photos["bus.jpg"], "--detector", "yolo"),
                 (photos["bus.jpg"], "--max-sources", "0")):
        before = set(tmp_path.iterdir())
        result = run("analyze", *args, "-o", tmp_path / "s.json", "--overlay", tmp_path / "o.png")
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        assert set(tmp_path.iterdir()) == before
