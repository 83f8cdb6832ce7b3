"""The spatial stage: a scene whose sources have audio -> spatial audio.

Modules, by concept: ``geometry`` (directions, paths), ``hrtf`` (SOFA,
interpolation), ``panning`` (VBAP), ``ambisonics`` (AmbiX encode, binaural
decode), ``distance`` (level, air), ``room`` (reflections, tail),
``signals`` (source signals), ``engine`` (block convolution), ``loudness``
(BS.1770, limiter), ``options`` (RenderOptions, RenderReport, the Renderer
interface), ``renderer`` (see2sound's renderer), ``original`` (the
published method's step).
"""

from __future__ import annotations

import numpy as np

from ..scene import Scene
from .options import RenderOptions, RenderReport, Renderer, with_fields
from .renderer import render_scene

__all__ = ["RenderOptions", "RenderReport", "Renderer", "render_scene", "spatialize"]


def spatialize(scene: Scene, format: str | None = None, *, options: RenderOptions | None = None,
               renderer: str | Renderer = "see2sound", **shortcuts) -> tuple[np.ndarray, int]:
    """Render a scene whose sources have audio.

    Pass ``options`` whole, or its fields as keywords (``format``,
    ``sample_rate``, ``hrtf``, ``room``, ``loudness_lufs``,
    ``true_peak_dbtp``, ``doppler``, ``lfe``), which override it.

    Returns
    -------
    audio : np.ndarray [shape=(channels, n), dtype=float32]
        Channel order per SPEC §3 (binaural L R; AmbiX W Y Z X; 5.1 L R C LFE Ls Rs; ...).
    sample_rate : int

    Examples
    --------
    >>> scene = see2sound.Scene.load("scene.json")          # doctest: +SKIP
    >>> audio, sr = see2sound.spatialize(scene, format="foa", room="none", loudness_lufs=None)  # doctest: +SKIP
    """
    options = with_fields(options or RenderOptions(), format=format, **shortcuts)
    audio, _ = render_scene(scene, options, renderer=renderer)
    return audio, options.sample_rate
