"""Loudspeaker layouts and vector-base amplitude panning (VBAP, Pulkki 1997).

Layouts (:class:`see2sound.formats.Layout`, each format's own) are horizontal (SPEC §3): a source's elevation is folded onto the
horizon, and its azimuth is panned between the two loudspeakers around it
with unit total power. A layout with a gap of 180 deg or more (stereo) first
mirrors rear directions to the front, then holds directions outside the
pair at the nearest loudspeaker, so a source at +90 comes from L alone. The
LFE channel is not a direction and gets no panned signal.

Contents
--------
vbap_gains           gains [shape=(n, channels)] for directions
"""

from __future__ import annotations

import numpy as np

from ..formats import Layout


def vbap_gains(layout: Layout, directions: np.ndarray) -> np.ndarray:
    """Panning gains [shape=(n, channels)] for unit vectors [shape=(n, 3)] (SPEC §1 axes)."""
    d = np.atleast_2d(np.asarray(directions, dtype=np.float64))
    azimuth = np.degrees(np.arctan2(d[:, 1], d[:, 0]))
    speakers = layout.speakers
    spk_az = np.array([layout.azimuths_deg[i] for i in speakers])
    order = np.argsort(spk_az)
    spk_az, speakers = spk_az[order], [speakers[i] for i in order]
    gaps = np.diff(np.concatenate([spk_az, spk_az[:1] + 360.0]))
    if gaps.max() >= 180.0:
        # Frontal pair: mirror the rear half to the front, hold outside the pair.
        azimuth = np.where(np.abs(azimuth) > 90.0, np.sign(azimuth) * 180.0 - azimuth, azimuth)
        lo = spk_az[(np.argmax(gaps) + 1) % len(spk_az)]
        hi = lo + 360.0 - gaps.max()
        span = hi - lo
        rel = (azimuth - lo) % 360.0
        outside = rel > span
        nearer_hi = (rel - span) < (360.0 - rel)
        rel = np.where(outside, np.where(nearer_hi, span, 0.0), rel)
        azimuth = rel + lo
    # Pair k spans spk_az[k] .. spk_az[k+1] (the last pair wraps around).
    rel = (azimuth[:, None] - spk_az[None, :]) % 360.0
    k = np.argmin(np.where(rel < gaps[None, :] + 1e-9, rel, np.inf), axis=1)
    a1 = np.radians(spk_az[k])
    a2 = np.radians(spk_az[(k + 1) % len(spk_az)])
    t = np.radians(azimuth)
    det = np.cos(a1) * np.sin(a2) - np.sin(a1) * np.cos(a2)
    g1 = (np.cos(t) * np.sin(a2) - np.sin(t) * np.cos(a2)) / det
    g2 = (np.cos(a1) * np.sin(t) - np.sin(a1) * np.cos(t)) / det
    g1, g2 = np.clip(g1, 0.0, None), np.clip(g2, 0.0, None)
    norm = np.sqrt(g1 ** 2 + g2 ** 2)
    gains = np.zeros((len(d), len(layout.channels)))
    idx = np.array(speakers)
    rows = np.arange(len(d))
    gains[rows, idx[k]] += g1 / norm
    gains[rows, idx[(k + 1) % len(idx)]] += g2 / norm
    return gains
