"""Binaural rendering: interaural cues measured from the output match the HRTF's own."""

import numpy as np
import pytest

from see2sound import Scene
from see2sound.spatial import RenderOptions, render_scene
from see2sound.spatial.geometry import to_unit_vector
from see2sound.spatial.hrtf import HRTF
from tests.helpers import gcc_phat_itd_us, ild_db, kemar_hrir, noise, scene_dict, source, write_wav


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("binaural")
    write_wav(path / "noise.wav", noise(2.0))
    return path


def render(folder, azimuth, elevation=0.0, rate=48000, **options):
    scene = Scene.from_dict(scene_dict([source("s", azimuth, elevation, 1.0)], duration=1.5), base_dir=folder)
    audio, _ = render_scene(scene, RenderOptions(format="binaural", room="none", sample_rate=rate,
                                                 loudness_lufs=None, **options))
    return audio


@pytest.mark.parametrize("azimuth", [30, 60, 90, -30, -60, -90])
def test_itd_and_ild_match_the_measured_hrtf(folder, azimuth):
    left, right = render(folder, azimuth)
    hrir, rate = kemar_hrir(azimuth, 0.0)
    itd_hrtf = gcc_phat_itd_us(hrir[0], hrir[1], rate)
    itd_out = gcc_phat_itd_us(left, right, 48000)
    assert np.sign(itd_out) == np.sign(azimuth)
    assert abs(itd_out - itd_hrtf) < 25.0, (itd_out, itd_hrtf)
    ild_hrtf, ild_out = ild_db(hrir[0], hrir[1]), ild_db(left, right)
    assert np.sign(ild_out) == np.sign(azimuth) and abs(ild_out) > 3.0
    assert abs(ild_out - ild_hrtf) < 1.0, (ild_out, ild_hrtf)


def test_front_and_back_are_symmetric_and_centred(folder):
    for azimuth in (0, 180):
        left, right = render(folder, azimuth)
        assert abs(gcc_phat_itd_us(left, right, 48000)) < 25.0
        assert abs(ild_db(left, right)) < 1.0


def test_interpolated_direction_lies_between_its_neighbours(folder):
    itds = [gcc_phat_itd_us(*render(folder, az), 48000) for az in (40, 42.5, 45)]
    assert itds[0] < itds[1] < itds[2]


@pytest.mark.slow
def test_other_sample_rates_keep_the_cues(folder):
    ref = gcc_phat_itd_us(*render(folder, 60), 48000)
    for rate in (44100, 96000):
        out = render(folder, 60, rate=rate)
        assert out.shape[1] == int(round(1.5 * rate))
        assert abs(gcc_phat_itd_us(*out, rate) - ref) < 25.0


def test_below_the_lowest_measured_elevation_is_smooth():
    hrtf = HRTF.load(sample_rate=48000)
    elevations = np.arange(-90, -30, 2.0)
    _, delays = hrtf.interpolate(to_unit_vector(np.full(len(elevations), 90.0), elevations))
    itd = delays[:, 1] - delays[:, 0]
    assert np.all(np.isfinite(itd))
    assert abs(itd[0]) < 2.0  # straight down: no interaural delay
    assert np.all(np.diff(itd) >= -0.5)  # grows toward the measured ring at -40


def test_interpolation_reproduces_a_measured_direction():
    hrtf = HRTF.load(sample_rate=44100)
    measured, _ = kemar_hrir(45.0, 10.0)
    model = hrtf.hrir(45.0, 10.0)
    n = 4096
    for ear in range(2):
        a = 20 * np.log10(np.abs(np.fft.rfft(measured[ear], n)) + 1e-9)
        b = 20 * np.log10(np.abs(np.fft.rfft(model[ear], n)) + 1e-9)
        band = slice(int(200 / 44100 * n), int(16000 / 44100 * n))
        assert np.median(np.abs(a[band] - b[band])) < 0.5
