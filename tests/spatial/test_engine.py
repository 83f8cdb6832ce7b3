"""The block engine's fast paths give what the plain computations give.

Interpolating the HRTF's spectra equals interpolating its filters and transforming them;
the numba kernel equals the numpy code; a moving source's filters evaluated many blocks
at a time equal the same evaluated block by block; clips are sliced as they are read.
"""

import numpy as np
import pytest

from see2sound import Scene
from see2sound.spatial import RenderOptions, accel, render_scene
from see2sound.spatial.filterbank import FilterBank, Steering, accumulate, delay_phasors
from see2sound.spatial.geometry import to_unit_vector
from see2sound.spatial.hrtf import HRTF
from see2sound.spatial.signals import Clip
from tests.helpers import noise, scene_dict, source, write_wav

N_FFT = 2048


@pytest.fixture(scope="module")
def hrtf():
    return HRTF.load(sample_rate=48000)


def _directions(n, seed=0):
    d = np.random.default_rng(seed).standard_normal((n, 3))
    return d / np.linalg.norm(d, axis=1, keepdims=True)


def _containing_triangle(hrtf, d):
    """Brute force: the barycentric weights of d in every hull triangle; the one where all are >= 0."""
    inverse = np.linalg.inv(np.transpose(hrtf.directions[hrtf._triangles], (0, 2, 1)))  # (t, 3, 3)
    tri, w = [], []
    for part in np.array_split(d, max(1, len(d) // 256)):
        g = np.einsum("tij,nj->nti", inverse, part)
        best = np.argmax(g.min(axis=2), axis=1)
        tri.append(hrtf._triangles[best])
        w.append(g[np.arange(len(part)), best])
    w = np.concatenate(w)
    return np.concatenate(tri), w / w.sum(axis=1, keepdims=True)


def test_weights_are_those_of_the_triangle_that_holds_the_direction(hrtf):
    d = np.concatenate([_directions(3000), to_unit_vector(np.linspace(-180, 180, 50), np.full(50, -41.0))])
    idx, w = hrtf.weights(d)
    ref_idx, ref_w = _containing_triangle(hrtf, d)
    assert np.all(w >= 0) and np.allclose(w.sum(axis=1), 1.0)
    mixed = np.einsum("nk,nkj->nj", w, hrtf.directions[idx])
    np.testing.assert_allclose(mixed / np.linalg.norm(mixed, axis=1, keepdims=True), d, atol=1e-9)
    dense = np.zeros((len(d), len(hrtf.directions)))
    ref = np.zeros_like(dense)
    rows = np.arange(len(d))[:, None]
    np.add.at(dense, (rows, idx), w)
    np.add.at(ref, (rows, ref_idx), ref_w)
    np.testing.assert_allclose(dense, ref, atol=1e-9)


def test_interpolating_spectra_equals_interpolating_filters(hrtf):
    d = _directions(200, seed=1)
    idx, w = hrtf.weights(d)
    # By hand: mix the minimum-phase filters in time, transform, delay by exact phasors.
    filters = np.einsum("nk,nkeh->neh", w, hrtf.minphase[idx].astype(np.float64))
    delays = np.einsum("nk,nke->ne", w, hrtf.delays[idx])
    k = np.arange(N_FFT // 2 + 1)
    expected = np.fft.rfft(filters, N_FFT, axis=-1) * np.exp(-2j * np.pi * k * delays[..., None] / N_FFT)
    got = hrtf.spectra(d, N_FFT)
    assert got.dtype == np.complex64
    # float32 rounding only: under 1e-6 of the largest gain.
    assert np.abs(got - expected).max() < 1e-6 * np.abs(expected).max()


def test_delay_phasors_are_exact_to_float32():
    delays = np.random.default_rng(2).uniform(0, 200, (50, 2))
    k = np.arange(N_FFT // 2 + 1)
    exact = np.exp(-2j * np.pi * k * delays[..., None] / N_FFT)
    assert np.abs(delay_phasors(delays, N_FFT) - exact).max() < 2e-6


def _random_steering(hrtf, n, seed, air=True):
    rng = np.random.default_rng(seed)
    d = to_unit_vector(np.linspace(-170, 170, n) + rng.uniform(-5, 5, n), rng.uniform(-60, 60, n))
    return hrtf.steering(d, rng.uniform(0.1, 2.0, n), rng.uniform(0.5, 40.0, n) if air else None)


def _flat_steering(n, rng):
    """A flat bank's steering as for air absorption in the loudspeaker formats: a fixed lead-in delay."""
    return Steering(np.zeros((n, 1), np.int32), rng.uniform(0.5, 1, (n, 1)).astype(np.float32),
                    np.full((n, 1), 16.0), rng.uniform(1, 50, n).astype(np.float32))


@pytest.mark.parametrize("air, flat", [(True, False), (False, False), (True, True)])
def test_accumulate_adds_each_block_through_its_two_filters(hrtf, monkeypatch, air, flat):
    monkeypatch.setenv(accel.ENV, "0")
    bank = FilterBank.flat(N_FFT, 48000) if flat else hrtf.bank(N_FFT)
    nb, bins = 12, N_FFT // 2 + 1
    rng = np.random.default_rng(3)
    x = [(rng.standard_normal((nb, bins)) + 1j * rng.standard_normal((nb, bins))).astype(np.complex64)
         for _ in range(3)]
    steerings = [_flat_steering(nb + 1, rng) if flat else _random_steering(hrtf, nb + 1, seed, air)
                 for seed in range(3)]
    channels = 3 if flat else 2
    y_now, y_prev = np.zeros((nb, channels, bins), np.complex64), np.zeros((nb, channels, bins), np.complex64)
    accumulate(x, bank, steerings, y_now, y_prev, [0, 1, 2] if flat else None)
    h = [bank.transfer(st) for st in steerings]
    now = [xi[:, None] * hi[1:] for xi, hi in zip(x, h)]
    prev = [xi[:, None] * hi[:-1] for xi, hi in zip(x, h)]
    if flat:  # each source on a channel of its own
        now, prev = np.concatenate(now, axis=1), np.concatenate(prev, axis=1)
    else:
        now, prev = sum(now), sum(prev)
    np.testing.assert_allclose(y_now, now, rtol=0, atol=1e-5)
    np.testing.assert_allclose(y_prev, prev, rtol=0, atol=1e-5)


def _kernel_pair(run, monkeypatch):
    """run() with the numba kernel, then with numpy."""
    if not accel.available():
        pytest.skip('numba is not installed: pip install -e ".[fast]"')
    monkeypatch.setenv(accel.ENV, "1")
    fast = run()
    monkeypatch.setenv(accel.ENV, "0")
    assert accel.kernel() is None
    return fast, run()


@pytest.mark.parametrize("flat", [False, True])
def test_numba_kernel_equals_numpy(hrtf, monkeypatch, flat):
    bank = FilterBank.flat(N_FFT, 48000) if flat else hrtf.bank(N_FFT)
    nb, bins = 20, N_FFT // 2 + 1
    rng = np.random.default_rng(4)
    x = [(rng.standard_normal((nb, bins)) + 1j * rng.standard_normal((nb, bins))).astype(np.complex64)
         for _ in range(2)]
    if flat:
        steerings = [_flat_steering(nb + 1, rng) for _ in range(2)]
    else:
        steerings = [_random_steering(hrtf, nb + 1, seed) for seed in (5, 6)]
    channels = 4 if flat else 2

    def run():
        y_now = np.zeros((nb, channels, bins), np.complex64)
        y_prev = np.zeros_like(y_now)
        accumulate(x, bank, steerings, y_now, y_prev, [1, 3] if flat else None)
        return y_now, y_prev

    (fast_now, fast_prev), (now, prev) = _kernel_pair(run, monkeypatch)
    scale = np.abs(now).max()
    assert np.abs(fast_now - now).max() < 1e-6 * scale and np.abs(fast_prev - prev).max() < 1e-6 * scale


@pytest.fixture(scope="module")
def moving_scene(tmp_path_factory):
    folder = tmp_path_factory.mktemp("moving")
    sources = []
    for k in range(3):
        write_wav(folder / f"n{k}.wav", noise(2.0, seed=k))
        src = source(f"s{k}", 60 * k, 0.0, 2.0 + 3 * k, audio=f"n{k}.wav")
        src["trajectory"] = [{"t": 0.0, "azimuth_deg": 60 * k, "elevation_deg": 0.0, "distance_m": 2.0 + 3 * k},
                             {"t": 2.0, "azimuth_deg": 60 * k - 150, "elevation_deg": 30.0, "distance_m": 9.0}]
        sources.append(src)
    return Scene.from_dict(scene_dict(sources, duration=2.0), base_dir=folder)


@pytest.mark.parametrize("fmt", ["binaural", "foa", "5.1"])
def test_renders_with_and_without_numba_agree(moving_scene, monkeypatch, fmt):
    options = RenderOptions(format=fmt, room="none", loudness_lufs=None, true_peak_dbtp=None)
    fast, plain = _kernel_pair(lambda: render_scene(moving_scene, options)[0], monkeypatch)
    assert np.abs(fast - plain).max() < 1e-6 * np.abs(plain).max()


def test_control_values_evaluated_many_blocks_at_once_equal_block_by_block(moving_scene, monkeypatch):
    from see2sound.spatial import engine

    options = RenderOptions(format="binaural", room="none", loudness_lufs=None, true_peak_dbtp=None)
    windowed, _ = render_scene(moving_scene, options)
    monkeypatch.setattr(engine, "CONTROL_WINDOW", 1)
    block_by_block, _ = render_scene(moving_scene, options)
    np.testing.assert_array_equal(windowed, block_by_block)


def test_a_sound_played_once_is_not_copied_and_is_silent_after_its_end():
    # A video's stems are as long as the video: the renderer plays them from the scene's arrays, not copies.
    data = np.linspace(1.0, 2.0, 11, dtype=np.float32)
    clip = Clip(data, 48000, loop=False)
    assert np.shares_memory(clip.data, data)
    np.testing.assert_array_equal(clip.read(np.array([9.5, 10.0, 10.5, 11.0, -0.5])),
                                  np.float32([1.95, 2.0, 1.0, 0.0, 0.0]))


@pytest.mark.parametrize("loop", [False, True])
def test_clip_samples_are_its_reads_by_slice(loop):
    rng = np.random.default_rng(7)
    for n in (5, 1000):
        clip = Clip(rng.standard_normal(n).astype(np.float32), 48000, loop=loop)
        for offset in (0, 3, n + 7):
            placed = clip.placed(0.5, offset)
            for start in (-20, 0, n - 2, 3 * n):
                for length in (0, 7, 2 * n + 13):
                    expected = placed.read(np.arange(start, start + length, dtype=np.int64))
                    np.testing.assert_array_equal(placed.samples(start, start + length), expected)
