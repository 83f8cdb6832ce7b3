"""Quality mode's learned depth, with a tiny randomly initialised Depth Anything, offline."""

import os
import subprocess
import sys
import time

import numpy as np
import pytest

from see2sound import See2SoundError
from tests.helpers import need

pytestmark = pytest.mark.hub
torch = need("torch", "hub")
transformers = need("transformers", "hub")


def test_depth_map_and_distances_come_from_the_model(tiny_depth, photos):
    from see2sound.vision.depth.depth_anything import DepthAnythingEstimator
    from see2sound.vision import analyze_picture

    estimator = DepthAnythingEstimator(str(tiny_depth))
    analysis = analyze_picture(photos["bus.jpg"], depth=estimator)
    depth = estimator.depth
    assert depth.shape == analysis.picture.rgb.shape[:2] and np.all(np.isfinite(depth))
    cam = analysis.camera
    for src in analysis.scene.sources:
        assert src.position.extra["distance_method"] == "DepthAnythingEstimator"
        # Independently: the median of the box's central half, times the ray's length per unit depth.
        x0, y0, x1, y1 = (v * analysis.picture.scale for v in src.box)
        dx, dy = (x1 - x0) / 4, (y1 - y0) / 4
        z = np.median(depth[int(y0 + dy):int(np.ceil(y1 - dy)), int(x0 + dx):int(np.ceil(x1 - dx))])
        u, v = (src.box[0] + src.box[2]) / 2, (src.box[1] + src.box[3]) / 2
        ray = np.sqrt(1 + ((u - cam.width / 2) / cam.focal_px) ** 2 + ((v - cam.height / 2) / cam.focal_px) ** 2)
        assert src.position.distance_m == pytest.approx(z * ray, rel=0.01, abs=0.01)


def test_unavailable_model_fails_fast_with_one_line(photos, tmp_path):
    from see2sound.vision.depth.depth_anything import DepthAnythingEstimator

    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        t = time.perf_counter()
        with pytest.raises(See2SoundError, match="not available offline.*huggingface-cli download"):
            DepthAnythingEstimator("depth-anything-outdoor")
        assert time.perf_counter() - t < 10
    finally:
        del os.environ["HF_HUB_OFFLINE"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-m", "see2sound.cli", "analyze", str(photos["bus.jpg"]), "-o",
                             str(tmp_path / "s.json"), "--depth", "depth-anything-indoor"],
                            capture_output=True, text=True, env=env, timeout=60)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and "Depth-Anything-V2-Metric-Indoor" in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_without_the_extra_the_error_says_how_to_install(monkeypatch):
    from see2sound import runtime

    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(See2SoundError, match=r"see2sound\[hub\]"):
        runtime.require()
