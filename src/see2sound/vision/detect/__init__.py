"""Object detectors behind one interface, chosen by name (``detector=``).

A new detector is a class with ``name``, ``labels`` (vocabulary labels it
can return) and ``detect(rgb) -> list[Detection]``, registered as a
component of kind ``detectors`` (:mod:`see2sound.registry`): built in are
``ensemble`` (default), ``ssd``, ``nanodet``, ``movenet`` (people, with 17
keypoints) and ``sam-clip`` (quality mode).
"""

from __future__ import annotations

import functools

from ...registry import create
from .base import Detection, Detector

DEFAULT_DETECTOR = "ensemble"

__all__ = ["DEFAULT_DETECTOR", "Detection", "Detector", "get_detector"]


def get_detector(name: str | Detector = DEFAULT_DETECTOR) -> Detector:
    """The detector registered under ``name``, made once per process (a Detector is returned as it is)."""
    return name if not isinstance(name, str) else _registered(name)


@functools.lru_cache(maxsize=4)
def _registered(name: str) -> Detector:
    return create("detectors", name)
