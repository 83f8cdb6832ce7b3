"""Ranged sounds: a long sound read a stretch at a time holds the samples of the whole array, to the bit."""

import numpy as np
import pytest
import soundfile as sf

from see2sound.scene import Segment
from see2sound.sound import synth
from see2sound.sound.choose import ambience_bed_sound, segmented_bed_sound
from see2sound.sound.fit import edge_faded, fitted
from see2sound.sound.ranged import Timeline, write_stem
from tests.helpers import tone

SR = 16000


def stretches(sound, size: int) -> np.ndarray:
    return np.concatenate([sound.read(a, min(len(sound), a + size)) for a in range(0, len(sound), size)])


def shots():
    return segmented_bed_sound([Segment(0.0, 20.0, "urban-street"), Segment(20.0, 31.0, "indoor-room"),
                                Segment(31.0, 95.0, "outdoor-nature")], 95.0, SR, 1)


@pytest.fixture(autouse=True)
def short_segments(monkeypatch):
    """Models made in 20 s segments, so a 45 s sound crosses two seams (the real ones are a minute)."""
    monkeypatch.setattr(synth, "SEGMENT_S", 20.0)


@pytest.mark.parametrize("make", [
    lambda: fitted(tone(300, 1.3), "loop", 61.0, SR, np.random.default_rng(0)),
    lambda: fitted(tone(300, 0.4), "event", 61.0, SR, np.random.default_rng(1)),
    lambda: edge_faded(synth.synthesized("cat", 45.0, SR, 3), SR),
    lambda: ambience_bed_sound("urban-street", 70.0, SR, 2),
    shots,
], ids=["loop", "events", "model in segments", "bed", "beds by shot"])
def test_read_in_stretches_is_the_whole_sound(make):
    whole = np.asarray(make())
    assert whole.dtype == np.float32 and np.all(np.isfinite(whole)) and np.any(whole)
    for size in (1 << 14, 99_991):  # seams, loop copies and fades fall anywhere in a stretch
        assert stretches(make(), size).tobytes() == whole.tobytes()


def test_a_timeline_adds_pieces_in_order_and_makes_each_once():
    made = []
    timeline = Timeline(10)
    for at, value in ((0, 1.0), (3, 2.0), (8, 4.0)):
        timeline.add(at, 4, lambda value=value: made.append(value) or np.full(4, value, np.float32))
    assert stretches(timeline, 3).tolist() == [1, 1, 1, 3, 2, 2, 2, 0, 4, 4]
    assert made == [1.0, 2.0, 4.0]


def test_a_stem_written_a_block_at_a_time_is_the_file_of_the_whole(tmp_path):
    sound = fitted(tone(300, 1.3), "loop", 80.0, SR, np.random.default_rng(0))
    write_stem(tmp_path / "ranged.wav", sound, SR)
    write_stem(tmp_path / "whole.wav", np.asarray(sound), SR)
    assert (tmp_path / "ranged.wav").read_bytes() == (tmp_path / "whole.wav").read_bytes()
    data, rate = sf.read(tmp_path / "ranged.wav", dtype="float32")
    assert rate == SR and data.tobytes() == np.asarray(sound).tobytes()


LONG_SCENE = r"""
import resource, sys, tempfile
from see2sound.scene import Ambience, Position, Scene, Source
from see2sound.sound import LibrarySounds, assign_sounds
from see2sound.sound.library import SoundLibrary

scene = Scene(float(sys.argv[1]), [Source(id="dog", label="dog", position=Position(20.0, 0.0, 3.0)),
                                   Source(id="car", label="car", position=Position(-40.0, 0.0, 8.0))],
              ambience=Ambience(kind="indoor-room"))
library = LibrarySounds(library=SoundLibrary.bundled())
library.library  # indexed before measuring
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with tempfile.TemporaryDirectory() as stems:
    scene, _ = assign_sounds(scene, library, stems, seed=0, sample_rate=48000)
    assert all(s.audio.path for s in scene.sources) and scene.ambience.audio.path
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024)
"""


def test_a_long_scene_s_stems_are_written_without_holding_any_whole_sound():
    # 20 minutes: each whole sound would be 230 MB; the stage held them all at once (two sources and the bed,
    # 840 MB more at its peak), and now a block and the pieces in it (about 130 MB, most of it making the bed's loops).
    import subprocess
    import sys

    seconds = 1200
    result = subprocess.run([sys.executable, "-c", LONG_SCENE, str(seconds)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    grew = int(result.stdout.split()[-1])
    assert grew < seconds * 48000 * 4, f"the sound stage grew by {grew / 2 ** 20:.0f} MB"
