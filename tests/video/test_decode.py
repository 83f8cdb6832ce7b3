"""Damaged and wrong video files: a few bad frames are skipped with one note; more, one clear error."""

import subprocess
import sys

import numpy as np
import pytest

from see2sound.errors import InputError
from see2sound.video.decode import MAX_BAD_IN_A_ROW, MAX_BAD_SHARE, analysis_frames, probe
from tests.helpers import need
from tests.video.conftest import audio_only, damage_frames, small_clip

av = need("av", "video")

DAMAGED = r"\(the file is damaged or its codec is not supported\)$"


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return small_clip(tmp_path_factory.mktemp("clips") / "bar.mp4", 40)


def read_all(path, rate_hz=25.0):
    notes = []
    probe(path)
    frames = list(analysis_frames(path, rate_hz, notes=notes))
    return frames, notes


def test_an_intact_clip_has_every_frame_and_no_note(clip):
    frames, notes = read_all(clip)
    assert len(frames) == 40 and notes == []


def test_a_few_damaged_frames_are_skipped_with_one_note(clip, tmp_path):
    path = damage_frames(clip, tmp_path / "scratched.mp4", {10, 11, 12})
    frames, notes = read_all(path)
    assert len(frames) == 37
    assert notes == ["scratched.mp4: 3 of 40 video frames could not be decoded and were skipped (the file is damaged)"]
    times = [t for t, _ in frames]
    assert 0.4 not in times and times == sorted(times)  # frame 10 (0.4 s) is missing, the rest in order


def test_more_than_a_tenth_damaged_refuses_the_video(clip, tmp_path):
    assert MAX_BAD_SHARE == 0.10
    path = damage_frames(clip, tmp_path / "worn.mp4", set(range(5, 35)))
    with pytest.raises(InputError, match=r"worn.mp4: 30 of 40 video frames could not be decoded " + DAMAGED):
        read_all(path)


def test_a_video_with_no_decodable_frame_is_refused(clip, tmp_path):
    path = damage_frames(clip, tmp_path / "ruined.mp4", set(range(40)))
    with pytest.raises(InputError, match=r"ruined.mp4: none of its 40 video frames could be decoded " + DAMAGED):
        read_all(path)


def test_a_lost_keyframe_spoils_the_frames_that_need_it(tmp_path):
    clip = small_clip(tmp_path / "gop.mp4", 40, every_frame_a_keyframe=False)  # one keyframe, then P frames
    path = damage_frames(clip, tmp_path / "headless.mp4", {0})
    with pytest.raises(InputError, match=r"headless.mp4: none of its 40 video frames could be decoded"):
        read_all(path)


def test_a_long_damaged_run_stops_reading_at_once(tmp_path):
    clip = small_clip(tmp_path / "long.mp4", 80)
    path = damage_frames(clip, tmp_path / "gap.mp4", set(range(10, 75)))
    notes, seen = [], []
    with pytest.raises(InputError, match=rf"gap.mp4: {MAX_BAD_IN_A_ROW + 1} video frames in a row could not be "
                                         "decoded " + DAMAGED):
        for t, _ in analysis_frames(path, 25.0, notes=notes):
            seen.append(t)
    assert len(seen) == 10  # the good frames before the run were given out


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_text("this is not a video\n"),
     "not a video see2sound can read (Invalid data found when processing input)"),
    (lambda p: p.write_bytes(np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8).tobytes()),
     "not a video see2sound can read ("),
    (lambda p: p.write_bytes(b""), "not a video see2sound can read ("),
])
def test_a_file_that_is_not_a_video_is_one_line(tmp_path, make, message):
    path = tmp_path / "movie.mp4"
    make(path)
    with pytest.raises(InputError, match="movie.mp4: " + message.replace("(", r"\(").replace(")", r"\)")):
        probe(path)
    with pytest.raises(InputError, match="movie.mp4: not a video see2sound can read"):
        list(analysis_frames(path, 5.0))


def test_a_cut_off_mp4_without_its_index_is_one_line(clip, tmp_path):
    path = tmp_path / "cut.mp4"
    path.write_bytes(clip.read_bytes()[: clip.stat().st_size * 6 // 10])  # the moov box is at the end
    with pytest.raises(InputError, match=r"cut.mp4: not a video see2sound can read \(Invalid data found"):
        probe(path)


def test_a_container_without_a_picture_stream_is_one_line(tmp_path):
    path = audio_only(tmp_path / "song.mp4")
    with pytest.raises(InputError, match=r"song.mp4: audio only: a video needs a picture stream$"):
        probe(path)
    with pytest.raises(InputError, match=r"song.mp4: no picture stream: a video needs one$"):
        list(analysis_frames(path, 5.0))


def test_analyze_video_on_a_damaged_file_raises_input_error(clip, tmp_path):
    from see2sound.video.track import analyze_video

    for frames, message in ((set(range(40)), "none of its 40"), (set(range(4, 40)), "36 of 40")):
        path = damage_frames(clip, tmp_path / "bad.mp4", frames)
        with pytest.raises(InputError, match=message):
            analyze_video(path)


def test_analyze_video_passes_the_skipped_frames_on_as_a_note(clip, tmp_path):
    from see2sound.video.track import analyze_video

    _, _, notes = analyze_video(damage_frames(clip, tmp_path / "scratched.mp4", {20, 21}))
    assert notes[0] == "scratched.mp4: 2 of 40 video frames could not be decoded and were skipped (the file is damaged)"


def cli(*args):
    return subprocess.run([sys.executable, "-m", "see2sound.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def test_cli_says_one_line_for_a_damaged_video_and_writes_nothing(clip, tmp_path):
    path = damage_frames(clip, tmp_path / "damaged.mp4", set(range(40)))
    result = cli("render", path, "-o", tmp_path / "out.wav")
    assert result.returncode == 2
    # One line: no third-party warning (supervision's OpenCV fallback, ByteTrack's deprecation) before it.
    expected = (f"error: {path}: none of its 40 video frames could be decoded "
                "(the file is damaged or its codec is not supported)")
    assert result.stderr.splitlines() == [expected]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["damaged.mp4"]


def test_the_tracker_is_made_without_third_party_warnings():
    # ... and supervision's process-wide filter for its own warnings does not outlive its import.
    code = ("from see2sound.video.track import _tracker; _tracker(5.0); _tracker(5.0); import warnings; "
            "print(any('Supervision' in str(f) for f in warnings.filters))")
    result = subprocess.run([sys.executable, "-W", "always", "-c", code], capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stderr, result.stdout) == (0, "", "False\n")
