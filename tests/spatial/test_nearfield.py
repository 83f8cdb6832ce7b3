"""Near-field binaural: a spherical head's series is right, and a source near the head is heard as one.

Interaural differences are measured from the rendered binaural, and held
against the spherical-head literature (Duda & Martens 1998) and KEMAR
measurements near the head (Brungart & Rabinowitz 1999).
"""

import numpy as np
import pytest
from scipy import signal
from scipy.special import eval_legendre, spherical_jn, spherical_yn

from see2sound import Scene
from see2sound.spatial import RenderOptions, accel, render_scene
from see2sound.spatial.geometry import to_unit_vector
from see2sound.spatial.hrtf import HRTF
from see2sound.spatial.nearfield import NEAREST_M, NearField, sphere_response
from tests.helpers import gcc_phat_itd_us, ild_db, noise, scene_dict, source, tone, write_wav

A = 0.0875
C = 343.0


def _direct_series(r, theta, f, terms=80):
    """Duda & Martens eq. 4 summed with scipy's spherical Bessel functions (numpy's FFT sign)."""
    mu, rho = 2 * np.pi * f * A / C, r / A
    total = 0j
    for m in range(terms):
        h = spherical_jn(m, mu * rho) + 1j * spherical_yn(m, mu * rho)
        dh = spherical_jn(m, mu, derivative=True) + 1j * spherical_yn(m, mu, derivative=True)
        total += (2 * m + 1) * eval_legendre(m, np.cos(theta)) * h / dh
    return np.conj(-(rho / mu) * np.exp(-1j * mu * rho) * total)


@pytest.mark.parametrize("r, theta, f", [(0.3, 0.5, 1000.0), (0.2, 2.5, 3000.0), (1.0, np.pi, 5000.0),
                                         (0.15, 1.6, 8000.0), (0.5, 1.2, 200.0)])
def test_series_equals_the_textbook_sum(r, theta, f):
    ours = sphere_response([r], [theta], [f], A)[0, 0, 0]
    assert abs(ours - _direct_series(r, theta, f)) < 1e-9 * abs(ours)


def test_far_sphere_has_the_known_response():
    """Duda & Martens, fig. 2: 0 dB at low frequencies, +6 dB at the near ear, a bright spot opposite it."""
    angles = np.radians([0.0, 90.0, 150.0, 180.0])
    db = 20 * np.log10(np.abs(sphere_response([100.0], angles, [20.0, 10000.0, 20000.0], A)[0]))
    assert np.all(np.abs(db[:, 0]) < 0.05)
    assert 5.5 < db[0, 2] < 6.5  # pressure doubling on the side facing the source
    assert db[3, 1] > db[2, 1] + 5 and db[3, 2] > db[2, 2] + 5  # the bright spot
    # The low-frequency interaural delay of a sphere is 3 a / c (Kuhn 1977): 1.5 times Woodworth's.
    f = np.array([50.0, 100.0])
    phase = np.angle(sphere_response([100.0], [0.0, np.pi], f, A)[0])
    delay = -(phase[:, 1] - phase[:, 0]) / (2 * np.pi * 50.0)
    assert abs((delay[1] - delay[0]) / (3 * A / C) - 1) < 0.03


def test_table_between_its_rows_is_the_model():
    near = NearField(A, 1.0)
    table = near.table(2048, 48000)
    f = np.fft.rfftfreq(2048, 1 / 48000)
    for az, r in ((70.0, 0.33), (20.0, 0.21), (-120.0, 0.6)):
        rows, weights, delay_s = near.coordinates(to_unit_vector([az], [0.0]), np.array([r]))
        for ear, sign in ((0, 1.0), (1, -1.0)):
            theta = np.arccos(sign * np.sin(np.radians(az)))
            model = (sphere_response([r], [theta], f[1:], A) / sphere_response([1.0], [theta], f[1:], A))[0, 0]
            read = (weights[0, ear, :, None] * table[rows[0, ear]]).sum(0)[1:] * np.exp(-2j * np.pi * f[1:]
                                                                                          * delay_s[0, ear])
            band = f[1:] < 16000
            error_db = np.abs(20 * np.log10(np.abs(read[band]) / np.abs(model[band])))
            assert error_db.max() < 0.5, (az, r, ear, error_db.max())


def test_the_bundled_kemar_gives_its_distance_and_ears():
    hrtf = HRTF.load(sample_rate=48000)
    assert hrtf.distance_m == pytest.approx(1.4)
    assert hrtf.near_field is not None and hrtf.near_field.far_m == 1.0
    assert hrtf.near_field.head_radius_m == pytest.approx(0.09)  # the file's ReceiverPosition


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    path = tmp_path_factory.mktemp("nearfield")
    write_wav(path / "noise.wav", noise(2.0))
    write_wav(path / "tone.wav", tone(150.0, 3.0))
    return path


OPTIONS = dict(format="binaural", room="none", loudness_lufs=None, true_peak_dbtp=None)


def render(folder, azimuth, distance, duration=1.5, trajectory=None, audio="noise.wav"):
    src = source("s", azimuth, 0.0, distance, audio=audio)
    if trajectory:
        src["trajectory"] = trajectory
    scene = Scene.from_dict(scene_dict([src], duration=duration), base_dir=folder)
    return render_scene(scene, RenderOptions(**OPTIONS))[0]


def band_ild_db(left, right, lo_hz, hi_hz):
    sos = signal.butter(4, [lo_hz, hi_hz], btype="band", fs=48000, output="sos")
    return ild_db(signal.sosfilt(sos, left), signal.sosfilt(sos, right))


def test_ild_grows_toward_the_head_for_a_lateral_source(folder):
    distances = [1.0, 0.75, 0.5, 0.35, 0.25, NEAREST_M]
    outs = [render(folder, 90.0, d) for d in distances]
    broadband = np.array([ild_db(*o) for o in outs])
    low = np.array([band_ild_db(*o, 350, 700) for o in outs])
    mid = np.array([band_ild_db(*o, 1000, 2000) for o in outs])
    for ild in (broadband, low, mid):
        assert np.all(np.diff(ild) > 0.3), ild
    # A spherical head at 0.25 m against 1 m: about +6 dB at 90 deg (Duda & Martens fig. 8);
    # KEMAR's low-frequency ILD near the head is 15-20 dB and more (Brungart & Rabinowitz fig. 9).
    assert 4.0 < broadband[4] - broadband[0] < 10.0
    assert 4.0 < mid[4] - mid[0] < 10.0
    assert 15.0 < low[-1] < 25.0


def test_itd_barely_changes_toward_the_head(folder):
    far, near = render(folder, 90.0, 1.0), render(folder, 90.0, 0.25)
    change = gcc_phat_itd_us(*near, 48000) - gcc_phat_itd_us(*far, 48000)
    assert 0.0 <= change < 100.0  # a little longer round the head (Brungart & Rabinowitz: slight increase)


def test_a_near_source_in_front_stays_centred(folder):
    left, right = render(folder, 0.0, 0.2)
    assert abs(ild_db(left, right)) < 0.1
    assert abs(gcc_phat_itd_us(left, right, 48000)) < 25.0
    # Both ears louder than at 1 m, by less than 1/r: the ears are off the axis and shadowed a little.
    gain_db = 10 * np.log10(np.mean(left ** 2) / np.mean(render(folder, 0.0, 1.0)[0] ** 2))
    assert 6.0 < gain_db < 20 * np.log10(1 / 0.2)


MOVING = [{"t": 0.0, "azimuth_deg": 20.0, "elevation_deg": 0.0, "distance_m": 3.0},
          {"t": 1.5, "azimuth_deg": 90.0, "elevation_deg": 0.0, "distance_m": 0.2},
          {"t": 3.0, "azimuth_deg": 170.0, "elevation_deg": 0.0, "distance_m": 3.0}]


@pytest.mark.parametrize("azimuth, distance, trajectory", [(30.0, 1.0, None), (-100.0, 4.0, None),
                                                           (30.0, 2.0, [{**k, "distance_m": 2.0 + k["t"]}
                                                                        for k in MOVING])])
def test_far_sources_sound_as_without_the_near_field(folder, azimuth, distance, trajectory, monkeypatch):
    duration = 3.0 if trajectory else 1.5
    with_model = render(folder, azimuth, distance, duration, trajectory)
    monkeypatch.setattr(HRTF.load(sample_rate=48000), "near_field", None)
    np.testing.assert_array_equal(with_model, render(folder, azimuth, distance, duration, trajectory))


def test_a_source_passing_by_the_ear_does_not_click(folder):
    """A 150 Hz tone carried past the left ear at 0.2 m (+24 dB on the way in): no energy above 3 kHz.

    Measured: 1.2e-3 of the tone's local amplitude (1.1e-3 with the near field off); a click is broadband.
    """
    out = render(folder, 20.0, 3.0, duration=3.0, trajectory=MOVING, audio="tone.wav")
    inner = slice(4800, -4800)  # away from the render's fades
    high = signal.sosfiltfilt(signal.butter(8, 3000.0, btype="high", fs=48000, output="sos"), out, axis=-1)
    amplitude = np.sqrt(2 * signal.convolve(out ** 2, np.ones((1, 960)) / 960, mode="same"))
    assert (np.abs(high) / amplitude)[:, inner].max() < 4e-3
    step = np.abs(np.diff(out[:, inner], axis=-1)).max()
    assert step < 1.1 * 2 * np.sin(np.pi * 150.0 / 48000) * np.abs(out).max()  # a sine's steepest step


def test_near_renders_with_and_without_numba_agree(folder, monkeypatch):
    if not accel.available():
        pytest.skip('numba is not installed: pip install -e ".[fast]"')
    monkeypatch.setenv(accel.ENV, "1")
    fast = render(folder, 20.0, 3.0, duration=3.0, trajectory=MOVING)
    monkeypatch.setenv(accel.ENV, "0")
    plain = render(folder, 20.0, 3.0, duration=3.0, trajectory=MOVING)
    assert np.abs(fast - plain).max() < 1e-6 * np.abs(plain).max()
