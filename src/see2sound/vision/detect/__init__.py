"""Object detectors behind one interface, chosen by name (``--detector``).

A new detector is one module with a class that has ``name``, ``labels``
(vocabulary labels it can return) and ``detect(rgb) -> list[Detection]``,
registered in :data:`DETECTORS`.
"""

from __future__ import annotations

import functools

from ...errors import See2SoundError
from .base import Detection, Detector

DETECTORS = {
    "ensemble": ("see2sound.vision.detect.ensemble", "Ensemble"),
    "ssd": ("see2sound.vision.detect.ssd", "SSDOpenImages"),
    "nanodet": ("see2sound.vision.detect.nanodet", "NanoDetCOCO"),
    # quality mode (pip install "see2sound[hub]"): SAM masks named by CLIP
    "sam-clip": ("see2sound.hub.regions", "SamClipDetector"),
}
DEFAULT_DETECTOR = "ensemble"

__all__ = ["DETECTORS", "DEFAULT_DETECTOR", "Detection", "Detector", "get_detector"]


def get_detector(name: str | Detector = DEFAULT_DETECTOR) -> Detector:
    """The detector registered under ``name``, loaded once per process (a Detector is returned as it is)."""
    return name if not isinstance(name, str) else _registered(name)


@functools.lru_cache(maxsize=4)
def _registered(name: str) -> Detector:
    if name not in DETECTORS:
        raise See2SoundError(f"--detector: unknown detector {name!r} (choose from {', '.join(DETECTORS)})")
    import importlib

    module, cls = DETECTORS[name]
    return getattr(importlib.import_module(module), cls)()
