"""see2sound: turn a picture or a video into spatial audio.

>>> import see2sound
>>> scene = see2sound.analyze("photo.jpg", hfov_deg=60)          # doctest: +SKIP
>>> scene = see2sound.Scene.load("scene.json")                   # doctest: +SKIP
>>> audio, sr = see2sound.spatialize(scene, format="binaural")    # doctest: +SKIP
>>> see2sound.render("photo.jpg", format="foa").save("photo.wav")  # doctest: +SKIP
>>> see2sound.render("photo.jpg", preset="paper")                  # doctest: +SKIP

Everything outside ``__all__`` is internal.
"""

from .errors import InputError, MissingExtraError, ModelUnavailableError, ParameterError, See2SoundError
from .formats import FORMATS, Layout, OutputFormat, get_format, register_format
from .pipeline import PRESETS, AnalysisOptions, Pipeline, RenderResult, SoundOptions, analyze, render
from .registry import Component, list_components, register
from .scene import AudioRef, Scene, Source
from .sound import Sound, SoundSource
from .spatial import RenderOptions, RenderReport, Renderer, spatialize
from .vision.depth import DepthEstimator
from .vision.detect import Detection, Detector

__version__ = "0.1.0"
__all__ = [
    "AnalysisOptions", "AudioRef", "Component", "DepthEstimator", "Detection", "Detector", "FORMATS",
    "InputError", "Layout", "MissingExtraError", "ModelUnavailableError", "OutputFormat", "PRESETS",
    "ParameterError", "Pipeline", "RenderOptions", "RenderReport", "RenderResult", "Renderer", "Scene",
    "See2SoundError", "Sound", "SoundOptions", "SoundSource", "Source", "analyze", "get_format",
    "list_components", "register", "register_format", "render", "spatialize", "__version__",
]
