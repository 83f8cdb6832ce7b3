"""The vision stage: a picture -> a scene of sound sources, offline.

``analyze_picture(path)`` (behind :func:`see2sound.analyze`) loads the picture (:mod:`.image`), models its camera
(:mod:`.camera`), detects objects (:mod:`.detect`), checks what animals are
with the ImageNet classifier (:mod:`.refine`), lets the classifier propose
what no detector knows (:mod:`.propose`: church bells, fountains, ...),
places those that make sound in 3D with a metric distance (:mod:`.distance`,
:mod:`.sources`) and decides the ambience (:mod:`.ambience`). The
classifier's pass over the whole picture is made once, for both.
:mod:`.overlay` draws the result.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..scene import Ambience, Scene
from .ambience import classify_ambience
from .camera import Camera, camera_for
from .classify import shared_classifier
from .detect import DEFAULT_DETECTOR, Detection, Detector, get_detector
from .depth import DepthEstimator
from .image import Picture, load_picture
from .propose import annotate_proposals, propose_sources
from .refine import annotate_sources, refine_labels
from .sources import DEFAULT_MAX_SOURCES, choose_sources

__all__ = ["Analysis", "analyze_picture"]

DEFAULT_DURATION_S = 10.0
#: An equirectangular panorama is padded by this fraction of its width on each
#: side (wrapped around) so objects on the seam are seen whole.
WRAP_PAD = 0.125


@dataclass
class Analysis:
    """A picture's scene, with what it was made from (for overlays and reports)."""

    scene: Scene
    picture: Picture
    camera: Camera
    detections: list[Detection] = field(default_factory=list)  # in the original's pixels
    notes: list[str] = field(default_factory=list)


def _detect(picture: Picture, camera: Camera, detector: str | Detector) -> list[Detection]:
    detector = get_detector(detector)
    rgb = picture.rgb
    inv = 1.0 / picture.scale
    if camera.projection != "equirect":
        return [d.scaled(inv) for d in detector.detect(rgb)]
    w = rgb.shape[1]
    pad = int(w * WRAP_PAD)
    wrapped = np.concatenate([rgb[:, w - pad:], rgb, rgb[:, :pad]], axis=1)
    found = []
    for det in detector.detect(wrapped):
        det = det.scaled(1.0, 1.0, -pad, 0.0)
        centre = (det.box[0] + det.box[2]) / 2
        if 0 <= centre < w:
            found.append(det.cropped(0.0, float(w)).scaled(inv))
    return found


def analyze_picture(path: str | os.PathLike, *, hfov_deg: float | None = None, projection: str = "auto",
                    detector: str | Detector = DEFAULT_DETECTOR, max_sources: int = DEFAULT_MAX_SOURCES,
                    duration_s: float = DEFAULT_DURATION_S, depth: DepthEstimator | None = None) -> Analysis:
    """Find what in a picture makes sound and place it around the listener (no audio yet).

    ``detector``: a registered detector's name or a
    :class:`~see2sound.vision.detect.Detector`; ``depth``: a
    :class:`~see2sound.vision.depth.DepthEstimator` (None: size priors and
    ground contact). The scene's sources are ranked loudest at the listener
    first, at most ``max_sources``.
    """
    path = Path(path)
    picture = load_picture(path)
    camera = camera_for(picture.width, picture.height, hfov_deg=hfov_deg, projection=projection,
                        focal_35mm=picture.focal_35mm, gpano_equirect=picture.gpano_equirect)
    detections = _detect(picture, camera, detector)
    detections, evidence = refine_labels(picture.rgb, detections, shared_classifier(), scale=picture.scale)
    probabilities = shared_classifier().probabilities(picture.rgb)  # the whole picture's, once
    detected = [d.label for d in detections]
    proposals = propose_sources(picture.rgb, detections, probabilities, shared_classifier(), scale=picture.scale)
    detections += [p.detection for p in proposals]
    if depth is not None:
        depth.set_picture(picture.rgb, picture.scale)  # a learned depth map, computed once per picture
    sources = choose_sources(detections, camera, max_sources=max_sources, depth=depth)
    annotate_sources(sources, detections, evidence)
    annotate_proposals(sources, proposals)
    kind, confidence, _ = classify_ambience(picture.rgb, detected, probabilities=probabilities)
    scene = Scene(
        duration_s=duration_s,
        sources=sources,
        input={"path": path.name, "kind": "image", "width": picture.width, "height": picture.height, "fps": None},
        camera=camera.to_json(),
        ambience=Ambience(kind=kind, confidence=round(confidence, 3)),
        base_dir=path.parent,
    )
    notes = list(picture.notes)
    if not sources:
        notes.append(f"{path.name}: no sound source found; the scene has only its ambience ({kind})")
    if camera.projection == "equirect" and camera.fov_source == "aspect":
        notes.append(f"{path.name}: 2:1 picture treated as a 360 deg panorama (use --projection perspective if not)")
    return Analysis(scene, picture, camera, detections, notes)
