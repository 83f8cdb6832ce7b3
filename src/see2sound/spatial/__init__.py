"""The spatial stage: a scene whose sources have audio -> spatial audio.

Modules, by concept: ``geometry`` (directions, paths), ``hrtf`` (SOFA,
interpolation), ``panning`` (VBAP, layouts), ``ambisonics`` (AmbiX encode,
binaural decode), ``distance`` (level, air), ``room`` (reflections, tail),
``signals`` (source signals), ``engine`` (block convolution), ``loudness``
(BS.1770, limiter), ``renderer`` (puts them together).
"""

from __future__ import annotations

import os

import numpy as np

from ..scene import Scene
from .renderer import FORMATS, RenderOptions, RenderReport, render_scene

__all__ = ["FORMATS", "RenderOptions", "RenderReport", "render_scene", "spatialize"]


def spatialize(scene: Scene, format: str = "binaural", *, sample_rate: int = 48000,
               hrtf: str | os.PathLike | None = None, room: str = "auto",
               loudness_lufs: float | None = -23.0, true_peak_dbtp: float | None = -1.0,
               doppler: bool = False, lfe: bool = False) -> tuple[np.ndarray, int]:
    """Render a scene whose sources have audio.

    Returns
    -------
    audio : np.ndarray [shape=(channels, n), dtype=float32]
        Channel order per SPEC §3 (binaural L R; AmbiX W Y Z X; 5.1 L R C LFE Ls Rs; ...).
    sample_rate : int

    Examples
    --------
    >>> scene = see2sound.Scene.load("scene.json")          # doctest: +SKIP
    >>> audio, sr = see2sound.spatialize(scene, format="foa")  # doctest: +SKIP
    """
    options = RenderOptions(format=format, sample_rate=sample_rate, hrtf=hrtf, room=room,
                            loudness_lufs=loudness_lufs, true_peak_dbtp=true_peak_dbtp,
                            doppler=doppler, lfe=lfe)
    audio, _ = render_scene(scene, options)
    return audio, sample_rate
