"""Analytic scenes and tampered renders for the evaluation tests, in one place."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import signal

from see2sound import Scene
from tests.helpers import SR, noise, scene_dict, source, write_wav

#: Each format's channels with left and right exchanged: the whole field mirrored left-right.
MIRRORED_CHANNELS = {"binaural": [1, 0], "stereo": [1, 0], "5.1": [1, 0, 2, 3, 5, 4], "7.1": [1, 0, 2, 3, 5, 4, 7, 6]}


def band_noise(lo_hz: float, hi_hz: float, seconds: float = 3.0, seed: int = 0) -> np.ndarray:
    """Gaussian noise band-passed to lo..hi Hz (6th-order Butterworth), RMS 0.1, float32."""
    rng = np.random.default_rng(seed)
    sos = signal.butter(6, [lo_hz, hi_hz], "bandpass", fs=SR, output="sos")
    x = signal.sosfilt(sos, rng.standard_normal(int(seconds * SR)))
    return (0.1 * x / np.sqrt(np.mean(x ** 2))).astype(np.float32)


def two_band_scene(folder: Path, low_az: float = 50.0, high_az: float = -40.0, seconds: float = 3.0) -> Scene:
    """Source ``low`` (150-900 Hz noise) at ``low_az`` and ``high`` (2.5-9 kHz noise) at ``high_az``, 2 m away."""
    write_wav(folder / "low.wav", band_noise(150, 900, seconds))
    write_wav(folder / "high.wav", band_noise(2500, 9000, seconds, seed=1))
    return Scene.from_dict(scene_dict([source("low", low_az, audio="low.wav"), source("high", high_az, audio="high.wav")],
                                      duration=seconds), base_dir=folder)


def two_noise_scene(folder: Path, a_az: float = 50.0, b_az: float = -40.0, seconds: float = 3.0) -> Scene:
    """Two independent white noises of equal level, ``a`` at ``a_az`` and ``b`` at ``b_az``: every bin is shared."""
    write_wav(folder / "a.wav", noise(seconds, seed=1))
    write_wav(folder / "b.wav", noise(seconds, seed=2))
    return Scene.from_dict(scene_dict([source("a", a_az, audio="a.wav"), source("b", b_az, audio="b.wav")],
                                      duration=seconds), base_dir=folder)


def moving_scene(folder: Path, azimuths: list[float], seconds: float = 3.0) -> Scene:
    """One white-noise source ``m`` moving through ``azimuths`` (keyframes evenly spread over the scene), 2 m away."""
    write_wav(folder / "m.wav", noise(seconds, seed=3))
    keys = [{"t": float(t), "azimuth_deg": a, "elevation_deg": 0.0, "distance_m": 2.0}
            for t, a in zip(np.linspace(0.0, seconds, len(azimuths)), azimuths)]
    return Scene.from_dict(scene_dict([source("m", azimuths[0], audio="m.wav", trajectory=keys)], duration=seconds),
                           base_dir=folder)


def mirrored(audio: np.ndarray, fmt: str) -> np.ndarray:
    """The render mirrored left-right: FOA with Y negated, other formats with left and right channels exchanged."""
    if fmt == "foa":
        out = audio.copy()
        out[1] *= -1
        return out
    return audio[MIRRORED_CHANNELS[fmt]]
