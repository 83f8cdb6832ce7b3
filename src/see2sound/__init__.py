"""see2sound: turn a picture or a video into spatial audio.

>>> import see2sound
>>> scene = see2sound.analyze("photo.jpg", hfov_deg=60)          # doctest: +SKIP
>>> scene = see2sound.Scene.load("scene.json")                   # doctest: +SKIP
>>> audio, sr = see2sound.spatialize(scene, format="binaural")    # doctest: +SKIP
>>> see2sound.render("photo.jpg", format="foa").save("photo.wav")  # doctest: +SKIP
"""

from .errors import See2SoundError
from .scene import Scene
from .pipeline import RenderResult, render
from .spatial import spatialize
from .vision import analyze

__version__ = "0.1.0"
__all__ = ["RenderResult", "Scene", "See2SoundError", "analyze", "render", "spatialize", "__version__"]
