"""Rooms: reflections arrive, the tail decays, and farther sources sound wetter."""

import numpy as np
import pytest

from see2sound import Scene
from see2sound.spatial import RenderOptions, render_scene
from see2sound.spatial.room import ROOMS, image_sources
from see2sound.spatial.geometry import to_unit_vector
from tests.helpers import scene_dict, source, write_wav

SR = 48000


def impulse_response(folder, fmt, room, distance, azimuth=30.0):
    click = np.zeros(SR // 2, np.float32)
    click[SR // 10] = 1.0  # after the render's 10 ms fade-in
    write_wav(folder / "click.wav", click)
    src = source("s", azimuth, 0.0, distance, audio="click.wav")
    src["audio"]["loop"] = False
    scene = Scene.from_dict(scene_dict([src], duration=2.0), base_dir=folder)
    audio, _ = render_scene(scene, RenderOptions(format=fmt, room=room, loudness_lufs=None))
    return audio.astype(np.float64)


def direct_to_reverberant_db(ir):
    energy = np.sum(ir ** 2, axis=0)
    onset = np.argmax(energy > energy.max() * 1e-3)
    direct = energy[max(0, onset - 48):onset + 96].sum()  # 1 ms before, 2 ms after the arrival
    return 10 * np.log10(direct / (energy.sum() - direct))


@pytest.mark.parametrize("fmt", ["binaural", "foa", "5.1"])
def test_farther_sources_are_wetter(tmp_path, fmt):
    near = direct_to_reverberant_db(impulse_response(tmp_path, fmt, "medium", 1.0))
    far = direct_to_reverberant_db(impulse_response(tmp_path, fmt, "medium", 4.0))
    assert near - far > 6.0, (near, far)


def test_no_room_is_dry_and_rooms_ring_for_their_rt60(tmp_path):
    dry = impulse_response(tmp_path, "stereo", "none", 2.0)
    assert np.sum(dry ** 2) > 0
    assert np.sum(dry[:, SR // 10 + 48:] ** 2) < 1e-9 * np.sum(dry ** 2)
    for name in ("small", "large"):
        ir = impulse_response(tmp_path, "foa", name, 2.0)[0]
        # Schroeder backward integral: time to fall from -5 to -25 dB, times 3.
        edc = 10 * np.log10(np.cumsum(ir[::-1] ** 2)[::-1] / np.sum(ir ** 2) + 1e-30)
        t5, t25 = np.argmax(edc < -5) / SR, np.argmax(edc < -25) / SR
        rt60 = 3 * (t25 - t5)
        assert 0.5 * ROOMS[name].rt60_s < rt60 < 1.3 * ROOMS[name].rt60_s, (name, rt60)


def test_ground_reflection_comes_from_below_and_later(tmp_path):
    directions, distances, gains = image_sources(ROOMS["outdoor"], to_unit_vector([0.0], [0.0]), np.array([5.0]))
    assert directions[0, 0, 2] < -0.4 and distances[0, 0] > 5.0 and 0 < gains[0, 0] < 1
    ir = impulse_response(tmp_path, "foa", "outdoor", 5.0, azimuth=0.0)
    expected = (np.hypot(5.0, 3.2) - 5.0) / 343.0
    w = np.abs(ir[0])
    first = np.argmax(w > 0.5 * w.max())
    second = first + 24 + np.argmax(w[first + 24:] > 0.2 * w.max())
    assert abs((second - first) / SR - expected) < 0.0005
    assert ir[2, second] / ir[0, second] < -0.4  # Z/W of the echo: from below
