"""First-order ambisonics: the direction measured from the output is the scene's."""

import numpy as np
import pytest

from see2sound import Scene
from see2sound.spatial import RenderOptions, render_scene
from see2sound.spatial.ambisonics import decode_binaural, encode_gains
from see2sound.spatial.geometry import to_unit_vector
from see2sound.spatial.hrtf import HRTF
from tests.helpers import gcc_phat_itd_us, intensity_direction, noise, scene_dict, source, write_wav


@pytest.fixture
def folder(tmp_path):
    write_wav(tmp_path / "noise.wav", noise(2.0))
    return tmp_path


@pytest.mark.parametrize("azimuth, elevation", [
    (0, 0), (30, 0), (-45, 10), (90, 0), (-90, -20), (135, 0), (180, 0), (-150, 30),
    (60, 60), (0, 85), (-120, -50),
])
def test_single_source_direction_within_one_degree(folder, azimuth, elevation):
    scene = Scene.from_dict(scene_dict([source("s", azimuth, elevation, 3.0)], duration=1.0), base_dir=folder)
    audio, report = render_scene(scene, RenderOptions(format="foa", room="none"))
    assert audio.shape == (4, 48000)
    az, el = intensity_direction(audio)
    err = np.degrees(np.arccos(np.clip(np.dot(to_unit_vector(az, el), to_unit_vector(azimuth, elevation)), -1, 1)))
    assert err < 1.0, (az, el)


def test_sn3d_levels_of_a_plane_wave():
    g = encode_gains(to_unit_vector([90.0, 0.0], [0.0, 90.0]))
    np.testing.assert_allclose(g, [[1, 1, 0, 0], [1, 0, 1, 0]], atol=1e-12)  # W Y Z X


@pytest.mark.parametrize("azimuth", [60, -60])
def test_binaural_decode_keeps_left_and_right(azimuth):
    hrtf = HRTF.load(sample_rate=48000)
    s = noise(1.0)
    foa = encode_gains(to_unit_vector([azimuth], [0.0]))[0][:, None] * s[None, :]
    left, right = decode_binaural(foa.astype(np.float32), hrtf)
    itd = gcc_phat_itd_us(left, right, 48000)
    assert np.sign(itd) == np.sign(azimuth) and abs(itd) > 250
    assert len(left) == len(s)
