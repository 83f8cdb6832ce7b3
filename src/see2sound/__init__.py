"""see2sound: turn a picture or a video into spatial audio.

>>> import see2sound
>>> scene = see2sound.analyze("photo.jpg", hfov_deg=60)          # doctest: +SKIP
>>> scene = see2sound.Scene.load("scene.json")                   # doctest: +SKIP
>>> audio, sr = see2sound.spatialize(scene, format="binaural")    # doctest: +SKIP
>>> see2sound.render("photo.jpg", format="foa").save("photo.wav")  # doctest: +SKIP
>>> see2sound.render("photo.jpg", preset="paper")                  # doctest: +SKIP

Everything outside ``__all__`` is internal.

The names are imported on first use (PEP 562), so ``import see2sound`` and
``see2sound --help`` stay quick: numpy, scipy, onnxruntime, the models and
the HRTF load when a function needs them, not before.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_EXPORTS = {
    "InputError": "errors", "MissingExtraError": "errors", "ModelUnavailableError": "errors",
    "ParameterError": "errors", "See2SoundError": "errors",
    "FORMATS": "formats", "Layout": "formats", "OutputFormat": "formats", "get_format": "formats",
    "register_format": "formats",
    "PRESETS": "registry", "Component": "registry", "list_components": "registry", "register": "registry",
    "AnalysisOptions": "pipeline", "Pipeline": "pipeline", "RenderResult": "pipeline", "SoundOptions": "pipeline",
    "analyze": "pipeline", "render": "pipeline",
    "AudioRef": "scene", "Scene": "scene", "Source": "scene",
    "Sound": "sound.source", "SoundSource": "sound.source",
    "RenderOptions": "spatial", "RenderReport": "spatial", "Renderer": "spatial", "spatialize": "spatial",
    "DepthEstimator": "vision.depth",
    "Detection": "vision.detect", "Detector": "vision.detect",
}
#: Subpackages and modules reachable as attributes (``see2sound.spatial``) once ``see2sound`` is imported.
_SUBMODULES = frozenset({"cli", "demo", "errors", "eval", "formats", "io", "outputs", "pipeline", "registry",
                         "runtime", "scene", "sound", "spatial", "studio", "userdirs", "video", "vision"})

__all__ = [
    "AnalysisOptions", "AudioRef", "Component", "DepthEstimator", "Detection", "Detector", "FORMATS",
    "InputError", "Layout", "MissingExtraError", "ModelUnavailableError", "OutputFormat", "PRESETS",
    "ParameterError", "Pipeline", "RenderOptions", "RenderReport", "RenderResult", "Renderer", "Scene",
    "See2SoundError", "Sound", "SoundOptions", "SoundSource", "Source", "analyze", "get_format",
    "list_components", "register", "register_format", "render", "spatialize", "__version__",
]


def __getattr__(name: str):
    """Import a public name's module on first use and keep the name here (later look-ups are plain)."""
    module = _EXPORTS.get(name)
    if module is not None:
        value = getattr(importlib.import_module(f".{module}", __name__), name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # what type checkers and IDEs read; at run time __getattr__ imports on first use
    from .errors import InputError, MissingExtraError, ModelUnavailableError, ParameterError, See2SoundError
    from .formats import FORMATS, Layout, OutputFormat, get_format, register_format
    from .pipeline import AnalysisOptions, Pipeline, RenderResult, SoundOptions, analyze, render
    from .registry import PRESETS, Component, list_components, register
    from .scene import AudioRef, Scene, Source
    from .sound.source import Sound, SoundSource
    from .spatial import RenderOptions, RenderReport, Renderer, spatialize
    from .vision.depth import DepthEstimator
    from .vision.detect import Detection, Detector
