"""Detection on a schedule: tracks followed by their looks between detections, and decoding beside the analysis."""

import math
import subprocess
import sys
import threading

import numpy as np
import pytest
from PIL import Image

from see2sound.errors import InputError, ParameterError
from see2sound.pipeline import AnalysisOptions
from see2sound.video import decode
from see2sound.video.follow import Follower, match_template
from see2sound.video.track import DEFAULT_DETECT_EVERY, analyze_video
from see2sound.vision.detect.ensemble import Ensemble
from tests.helpers import need
from tests.video.conftest import CAT_H, CAT_W, CAT_Y, FPS, HEIGHT, SECONDS, WIDTH, small_clip, true_azimuth, write_clip

av = need("av", "video")
PICTURES = int(SECONDS * 5)  # analysed at the default 5 per second


@pytest.fixture
def detections(monkeypatch):
    """How many pictures the detectors ran on."""
    count = [0]
    detect = Ensemble.detect

    def counted(self, rgb):
        count[0] += 1
        return detect(self, rgb)

    monkeypatch.setattr(Ensemble, "detect", counted)
    return count


def cat_sources(scene):
    return [s for s in scene.sources if s.label == "cat"]


def test_the_cat_is_followed_on_the_pictures_between_detections(cat_clip, detections):
    scene, _, _ = analyze_video(cat_clip, detect_every=5)
    assert detections[0] == PICTURES // 5
    cats = cat_sources(scene)
    assert len(cats) == 1
    keys = cats[0].trajectory
    assert len(keys) >= PICTURES - 1  # a direction at (nearly) every analysed picture, not only the 4 detected
    for key in keys:
        assert abs(key.azimuth_deg - true_azimuth(key.t)) < 5.0, (key.t, key.azimuth_deg)


def turning_x(frame: int) -> int:
    """Left to right in 2 s (about 240 pixels a second), then back."""
    half = FPS * SECONDS // 2
    u = frame / half if frame < half else 2 - frame / half
    return int(20 + (WIDTH - CAT_W - 40) * u)


@pytest.fixture(scope="module")
def turning_clip(photos, tmp_path_factory):
    bg = Image.open(photos["leuvenA.jpg"]).convert("RGB").resize((WIDTH, HEIGHT))
    cat = Image.open(photos["chelsea.png"]).convert("RGB").resize((CAT_W, CAT_H))
    frames = []
    for i in range(FPS * SECONDS):
        frame = bg.copy()
        frame.paste(cat, (turning_x(i), CAT_Y))
        frames.append(np.asarray(frame))
    return write_clip(tmp_path_factory.mktemp("clips") / "turn.mp4", frames)


def test_a_cat_that_turns_back_is_followed_through_the_turn(turning_clip):
    # Too fast for the tracker to link its weak detections picture to picture (detecting every picture keeps only
    # a few of them); followed by its looks, it has a direction at every picture.
    f = (WIDTH / 2) / math.tan(math.radians(65) / 2)

    def truth(t):
        centre = turning_x(min(FPS * SECONDS - 1, round(t * FPS))) + CAT_W / 2
        return math.degrees(math.atan2(WIDTH / 2 - centre, f))

    scene, _, _ = analyze_video(turning_clip)
    cats = cat_sources(scene)
    assert len(cats) == 1
    start, end = cats[0].active_s
    assert start < 0.5 and end > SECONDS - 0.5
    assert len(cats[0].trajectory) >= PICTURES - 1
    for key in cats[0].trajectory:
        assert abs(key.azimuth_deg - truth(key.t)) < 5.0, (key.t, key.azimuth_deg)


@pytest.mark.slow
def test_detect_every_one_runs_the_detectors_on_every_picture(cat_clip, detections):
    scene, _, _ = analyze_video(cat_clip, detect_every=1)
    assert detections[0] == PICTURES
    assert len(cat_sources(scene)) == 1


def test_the_default_schedule_and_its_bounds():
    assert AnalysisOptions().detect_every == DEFAULT_DETECT_EVERY == 5
    for bad in (0, 31, 2.5, True, "5"):
        with pytest.raises(ParameterError, match="detect_every: must be a whole number from 1 to 30"):
            AnalysisOptions(detect_every=bad)


def test_analyze_video_refuses_a_bad_schedule(cat_clip):
    with pytest.raises(ParameterError, match="detect_every"):
        analyze_video(cat_clip, detect_every=0)


# --- following by looks ------------------------------------------------------------------------------------------


def street_grey(photos, size=(320, 180)):
    return np.asarray(Image.open(photos["leuvenA.jpg"]).convert("L").resize(size), dtype=np.float32)


def test_match_template_finds_a_patch_where_it_is(photos):
    grey = street_grey(photos)
    ncc = match_template(grey, grey[60:100, 150:200])
    assert ncc.shape == (180 - 40 + 1, 320 - 50 + 1)
    assert np.unravel_index(np.argmax(ncc), ncc.shape) == (60, 150)
    assert ncc.max() == pytest.approx(1.0, abs=1e-6)
    assert np.all(np.abs(match_template(np.full((30, 30), 7.0), grey[:10, :10])) == 0)  # flat: no answer, not nan


def test_the_follower_keeps_up_with_a_moving_thing_and_lets_go_when_it_is_gone(photos):
    street = street_grey(photos)
    cat = np.asarray(Image.open(photos["chelsea.png"]).convert("L").resize((60, 40)), dtype=np.float32)

    def picture(x):
        grey = street.copy()
        grey[100:140, x:x + 60] = cat
        return grey

    follower = Follower(follow_s=2.0)
    follower.detected(7, (40, 100, 100, 140), 0.0, picture(40), 1.0)
    for i in range(1, 6):  # 12 pixels a picture; the follower learns the velocity as it goes
        found = follower.follow(0.2 * i, picture(40 + 12 * i), 1.0)
        assert [key for key, _, _ in found] == [7]
        (_, box, ncc), = found
        assert box[0] == pytest.approx(40 + 12 * i, abs=1) and ncc > 0.9
        follower.followed(7, box, 0.2 * i)
    assert follower.follow(1.2, street, 1.0) == []  # gone: no box, as when a detector misses it
    follower.followed(7, box, 1.2)
    assert follower.follow(2.2, picture(112), 1.0) == []  # more than follow_s after its detection: let go


# --- decoding beside the analysis --------------------------------------------------------------------------------


def decode_threads():
    return [t for t in threading.enumerate() if t.name == "see2sound-decode"]


def test_read_ahead_gives_every_item_then_the_producer_s_error():
    def items():
        yield from range(20)
        raise InputError("broken after 20")

    got = []
    with pytest.raises(InputError, match="broken after 20"):
        for item in decode.read_ahead(items(), depth=3):
            got.append(item)
    assert got == list(range(20))
    assert decode_threads() == []


def test_read_ahead_stops_the_producer_and_closes_it_when_the_consumer_stops():
    closed = threading.Event()

    def items():
        try:
            yield from range(10_000)
        finally:
            closed.set()

    ahead = decode.read_ahead(items(), depth=2)
    assert [next(ahead) for _ in range(3)] == [0, 1, 2]
    ahead.close()
    assert closed.is_set() and decode_threads() == []


def test_a_failure_in_the_analysis_stops_the_decoding(cat_clip, monkeypatch):
    def failing(self, rgb):
        raise RuntimeError("the detector broke")

    monkeypatch.setattr(Ensemble, "detect", failing)
    with pytest.raises(RuntimeError, match="the detector broke"):
        analyze_video(cat_clip)
    assert decode_threads() == []


def test_a_failure_while_decoding_ahead_leaves_no_output(tmp_path, monkeypatch, capsys):
    # The decoding thread fails while the analysis works on earlier pictures: one error line, no file.
    from see2sound.cli import main

    clip = small_clip(tmp_path / "bar.mp4", 40)
    decoded = decode._decoded

    def failing(av, path, container, stream, tally):
        for i, frame in enumerate(decoded(av, path, container, stream, tally)):
            if i == 20:
                raise InputError(f"{path}: the disk went away")
            yield frame

    monkeypatch.setattr(decode, "_decoded", failing)
    out = tmp_path / "out"
    out.mkdir()
    assert main(["render", str(clip), "-o", str(out / "bar.mp4"), "--scene-out", str(out / "bar.json"), "-q"]) == 2
    assert capsys.readouterr().err.splitlines() == [f"error: {clip}: the disk went away"]
    assert list(out.iterdir()) == []
    assert decode_threads() == []


@pytest.mark.slow
def test_the_cli_renders_a_video_with_every_picture_detected(cat_clip, tmp_path):
    # The Python API's detect_every=1: the pipeline passes it on (the CLI keeps the default schedule).
    code = ("import sys, see2sound; r = see2sound.render(sys.argv[1], detect_every=1, format='stereo'); "
            "print([s.label for s in r.scene.sources])")
    result = subprocess.run([sys.executable, "-c", code, str(cat_clip)], capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr
    assert "cat" in result.stdout
