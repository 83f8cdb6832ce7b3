"""How distance changes a sound: level, air absorption, travel time.

Contents
--------
distance_gain          inverse-distance law, 1 at 1 m, held in the near field
air_absorption_db      ISO 9613-1 atmospheric absorption in dB per metre
air_absorption_gain    the magnitude response of a path through air
SPEED_OF_SOUND_M_S
"""

from __future__ import annotations

import numpy as np

SPEED_OF_SOUND_M_S = 343.0
#: Closer than this the inverse-distance law is not followed (at most +6 dB):
#: the HRTF was measured far away, and a source at 5 cm would otherwise be +26 dB.
NEAR_FIELD_M = 0.5
#: Air: 20 degC, 50 % relative humidity, 101.325 kPa.
TEMPERATURE_C = 20.0
HUMIDITY_PERCENT = 50.0


def distance_gain(distance_m, nearest_m: float = NEAR_FIELD_M) -> np.ndarray:
    """Linear gain 1 / max(d, nearest_m), relative to 1 m.

    Binaural with a near-field model (:mod:`.nearfield`) holds only below its
    ``NEAREST_M``: the model, not a clamp, shapes each ear's level there.
    """
    return 1.0 / np.maximum(np.asarray(distance_m, dtype=np.float64), nearest_m)


def air_absorption_db(frequency_hz, temperature_c: float = TEMPERATURE_C,
                      humidity_percent: float = HUMIDITY_PERCENT, pressure_kpa: float = 101.325) -> np.ndarray:
    """Pure-tone atmospheric absorption coefficient in dB/m (ISO 9613-1:1993, eq. 3-5)."""
    f = np.asarray(frequency_hz, dtype=np.float64)
    t = temperature_c + 273.15
    t0, t01, pr = 293.15, 273.16, 101.325
    pa = pressure_kpa / pr
    c = -6.8346 * (t01 / t) ** 1.261 + 4.6151
    h = humidity_percent * 10.0 ** c / pa
    fr_o = pa * (24.0 + 4.04e4 * h * (0.02 + h) / (0.391 + h))
    fr_n = pa * (t / t0) ** -0.5 * (9.0 + 280.0 * h * np.exp(-4.170 * ((t / t0) ** (-1.0 / 3.0) - 1.0)))
    return 8.686 * f ** 2 * (
        1.84e-11 / pa * (t / t0) ** 0.5
        + (t / t0) ** -2.5 * (0.01275 * np.exp(-2239.1 / t) / (fr_o + f ** 2 / fr_o)
                              + 0.1068 * np.exp(-3352.0 / t) / (fr_n + f ** 2 / fr_n)))


def air_absorption_gain(frequency_hz: np.ndarray, distance_m) -> np.ndarray:
    """Magnitude responses [shape=(n, len(frequency_hz))] for distances [shape=(n,)]."""
    nepers = (air_absorption_db(frequency_hz) * (np.log(10.0) / 20.0)).astype(np.float32)
    d = np.atleast_1d(np.asarray(distance_m, dtype=np.float32))
    return np.exp(-d[:, None] * nepers[None, :])
