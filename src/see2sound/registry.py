"""Components by name: the detectors, depth estimators, sound sources and renderers a pipeline is made of.

A component is registered under a kind and a name, either in code
(:func:`register`) or by another package through a Python entry point in
the group ``see2sound.<kind>``::

    [project.entry-points."see2sound.detectors"]
    my-detector = "my_package.detect:MyDetector"

An entry is a factory: a class or function called with the component's
options as keyword arguments, returning the component. Built-in entries
name their factory as ``"module:attribute"`` so heavy stacks (torch) are
imported only when that component is made. ``see2sound list`` and the
studio show what is registered, built-in and from entry points alike.

Contents
--------
KINDS            detectors, depth, sounds, renderers
PRESETS          whole pipelines by name: offline, hub, paper
Component        the optional ``prepare()`` / ``release()`` every component has
register         add a factory under (kind, name); usable as a decorator
create           make the component called ``name`` (an instance is returned as it is)
names            the names registered for a kind
list_components  {kind: [(name, summary), ...]}
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import threading
from dataclasses import dataclass
from typing import Any, Callable, Protocol, runtime_checkable

from .errors import ParameterError, See2SoundError

#: Kind -> (entry-point group, the parameter that names such a component, the method every one must have).
KINDS: dict[str, tuple[str, str, str]] = {
    "detectors": ("see2sound.detectors", "detector", "detect"),
    "depth": ("see2sound.depth", "depth", "distance_m"),
    "sounds": ("see2sound.sounds", "sound", "sounds_for"),
    "renderers": ("see2sound.renderers", "renderer", "render"),
}


@runtime_checkable
class Component(Protocol):
    """What every component may do besides its job; both have no-op defaults (subclass to inherit them).

    ``prepare()`` loads what the component needs (weights) ahead of its
    first use; ``release()`` frees it again, e.g. the vision models before a
    text-to-audio model loads. A released component prepares itself again
    when it is used.
    """

    def prepare(self) -> None:
        return None

    def release(self) -> None:
        return None


@dataclass(frozen=True)
class _Entry:
    factory: Callable[..., Any] | str
    origin: str  # "built-in" or the distribution that declared the entry point
    summary: str = ""

    def load(self) -> Callable[..., Any]:
        if callable(self.factory):
            return self.factory
        module, _, attribute = self.factory.partition(":")
        return getattr(importlib.import_module(module), attribute)


PRESETS: dict[str, dict[str, Any]] = {
    "offline": {"detector": "ensemble", "depth": "priors", "sound": "library", "renderer": "see2sound"},
    "hub": {"detector": "sam-clip", "depth": "depth-anything-outdoor", "sound": "stable-audio-open",
            "renderer": "see2sound"},
    "paper": {"detector": "sam-clip", "depth": "depth-anything-relative", "sound": "stable-audio-open",
              "renderer": "see2sound-original", "max_sources": 3},
}
"""Each preset's components by stage (and, for ``paper``, its cap of 3 sources): whole pipelines by name
(:meth:`see2sound.Pipeline.from_preset`). Kept here, beside the names, so the command line's
``--preset`` choices need nothing heavier than this module."""

#: Kinds whose components may also be named by a hub id or a folder of weights, and their factory.
MODEL_FACTORIES = {
    "depth": "see2sound.vision.depth.depth_anything:DepthAnythingEstimator",
    "sounds": "see2sound.sound.generate:TextToAudio",
}

_ENTRIES: dict[str, dict[str, _Entry]] = {kind: {} for kind in KINDS}
_DISCOVERED: set[str] = set()
_LOCK = threading.Lock()


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ParameterError("kind", f"unknown component kind {kind!r} (choose from {', '.join(KINDS)})")


def register(kind: str, name: str, factory: Callable[..., Any] | str | None = None, *, summary: str = ""):
    """Register ``factory`` (a class, a function or ``"module:attribute"``) as the ``kind`` called ``name``.

    Without ``factory`` it returns a decorator. A name registered again is
    replaced, so a package may override a built-in on purpose.

    Examples
    --------
    >>> @see2sound.register("detectors", "my-detector")   # doctest: +SKIP
    ... class MyDetector(see2sound.Detector): ...
    """
    _check_kind(kind)
    if not isinstance(name, str) or not name.strip():
        raise ParameterError("name", "a component needs a non-empty name")

    def add(f):
        text = summary or (_first_line(getattr(f, "__doc__", None)) if callable(f) else "")
        with _LOCK:
            _ENTRIES[kind][name] = _Entry(f, "built-in" if _BUILTIN_PHASE else "register()", text)
        return f

    return add if factory is None else add(factory)


def _first_line(doc: str | None) -> str:
    return (doc or "").strip().split("\n", 1)[0].rstrip(".")


def _discover(kind: str) -> None:
    """Add the entry points of ``see2sound.<kind>`` once (built-ins and register() calls win on a clash)."""
    if kind in _DISCOVERED:
        return
    group = KINDS[kind][0]
    found = importlib.metadata.entry_points(group=group)
    with _LOCK:
        for ep in found:
            if ep.name not in _ENTRIES[kind]:
                origin = ep.dist.name if ep.dist is not None else "entry point"
                _ENTRIES[kind][ep.name] = _Entry(ep.value, origin, f"from {origin}")
        _DISCOVERED.add(kind)


def names(kind: str) -> tuple[str, ...]:
    """The names registered for ``kind``, built-in first."""
    _check_kind(kind)
    _discover(kind)
    return tuple(_ENTRIES[kind])


def create(kind: str, name: Any, **options: Any) -> Any:
    """The ``kind`` component called ``name``, made with ``options``; a component object is returned as it is.

    Raises :class:`~see2sound.errors.ParameterError` naming the parameter
    (``detector``, ``depth``, ``sound``, ``renderer``) for an unknown name,
    and :class:`~see2sound.errors.See2SoundError` for a plug-in that cannot
    be loaded or does not have the component's method.
    """
    _check_kind(kind)
    _, parameter, method = KINDS[kind]
    if not isinstance(name, str):
        component = name
    else:
        _discover(kind)
        entry = _ENTRIES[kind].get(name)
        if entry is None and kind in MODEL_FACTORIES and ("/" in name or os.path.isdir(name)):
            entry = _Entry(MODEL_FACTORIES[kind], "built-in")  # a hub id or a local folder of weights
            # A text-to-audio model only checks now that it can load; it loads when its stage starts.
            options = {"model": name, **({"lazy": True} if kind == "sounds" else {}), **options}
        if entry is None:
            raise ParameterError(parameter, f"unknown {parameter} {name!r} (choose from {', '.join(_ENTRIES[kind])})")
        try:
            factory = entry.load()
        except (ImportError, AttributeError) as exc:
            if entry.origin == "built-in":
                raise
            raise See2SoundError(f"{parameter} {name!r} (from {entry.origin}) cannot be loaded: {exc}") from None
        component = factory(**options)
    if not callable(getattr(component, method, None)):
        raise See2SoundError(f"{parameter} {getattr(component, 'name', name)!r} has no {method}() method")
    return component


def list_components() -> dict[str, list[tuple[str, str]]]:
    """Every registered component: ``{kind: [(name, summary), ...]}`` (entry points included)."""
    out = {}
    for kind in KINDS:
        names(kind)
        out[kind] = [(name, entry.summary) for name, entry in _ENTRIES[kind].items()]
    return out


def release(component: Any) -> None:
    """``component.release()`` if it has one."""
    getattr(component, "release", _nothing)()


def _nothing() -> None:
    return None


_BUILTIN_PHASE = True
register("detectors", "ensemble", "see2sound.vision.detect.ensemble:Ensemble",
         summary="SSD (Open Images) + NanoDet (COCO) + MoveNet, calibrated fusion (offline, default)")
register("detectors", "ssd", "see2sound.vision.detect.ssd:SSDOpenImages", summary="SSD MobileNetV2, Open Images (offline)")
register("detectors", "nanodet", "see2sound.vision.detect.nanodet:NanoDetCOCO", summary="NanoDet, COCO (offline)")
register("detectors", "ensemble-vote", "see2sound.vision.detect.ensemble:vote_ensemble",
         summary="SSD + NanoDet, mirror and tiles, vote fusion (offline; finds more, more of it wrong)")
register("detectors", "movenet", "see2sound.vision.detect.movenet:MoveNet",
         summary="MoveNet MultiPose: people, with 17 keypoints each (offline)")
register("detectors", "sam-clip", "see2sound.vision.detect.sam_clip:SamClipDetector",
         summary="SAM masks named by CLIP (needs see2sound[hub])")
register("depth", "priors", "see2sound.vision.depth.priors:SizePriors",
         summary="size priors and ground contact (offline, default)")
for _name in ("depth-anything-outdoor", "depth-anything-indoor", "depth-anything-relative"):
    register("depth", _name, f"see2sound.vision.depth.depth_anything:{_name.replace('-', '_')}",
             summary=f"Depth Anything V2 {_name.rsplit('-', 1)[1]} (needs see2sound[hub])")
register("sounds", "library", "see2sound.sound.choose:LibrarySounds",
         summary="your folders, the bundled clips, procedural models (offline, default)")
for _name in ("stable-audio-open", "audioldm2"):
    register("sounds", _name, f"see2sound.sound.generate:{_name.replace('-', '_')}",
             summary=f"text-to-audio, {_name} (needs see2sound[hub])")
register("renderers", "see2sound", "see2sound.spatial.renderer:SpatialRenderer",
         summary="HRTF binaural, AmbiX, VBAP loudspeakers, rooms, loudness (default)")
register("renderers", "see2sound-original", "see2sound.spatial.original:OriginalRenderer",
         summary="SEE-2-SOUND's own 5.1 step (needs see2sound[original])")
register("renderers", "naive-pan", "see2sound.eval.compare:NaivePan",
         summary="a baseline for comparison: constant-power stereo pan by azimuth, nothing else")
_BUILTIN_PHASE = False
