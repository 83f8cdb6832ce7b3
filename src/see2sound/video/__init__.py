"""Video: moving pictures, moving sources (needs ``pip install "see2sound[video]"``).

``render_video`` runs :func:`.track.analyze_video` (detection at a few
frames per second, ByteTrack, smoothed trajectories, scene cuts), the sound
stage, the spatial renderer, and either writes the audio or muxes it with
the picture (:mod:`.mux`).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..sound import assign_sounds, load_libraries
from ..spatial import RenderOptions
from ..spatial.renderer import render_scene
from .track import DEFAULT_RATE_HZ, analyze_video

VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".avi", ".webm", ".m4v")

__all__ = ["DEFAULT_RATE_HZ", "VIDEO_SUFFIXES", "analyze_video", "render_video_audio"]


def render_video_audio(path: str | os.PathLike, options: RenderOptions, *, seed: int = 0,
                       libraries: tuple[str, ...] = (), stems_dir: str | os.PathLike | None = None,
                       scene_path: str | os.PathLike | None = None, rate_hz: float = DEFAULT_RATE_HZ,
                       hfov_deg: float | None = None, projection: str = "auto", max_sources: int = 6,
                       text_to_audio=None, out=None, progress=None):
    """(audio, report, scene, info, notes) for a video; the audio lasts exactly as long as the video."""
    step = progress or (lambda stage, fraction: None)
    library = load_libraries(tuple(libraries))
    scene, info, notes = analyze_video(path, rate_hz=rate_hz, hfov_deg=hfov_deg, projection=projection,
                                       max_sources=max_sources, progress=lambda f: step("analyse", f))
    notes = notes + list(library.warnings)
    with tempfile.TemporaryDirectory(prefix="see2sound-stems-") as tmp:
        stems = Path(stems_dir) if stems_dir is not None else Path(tmp)
        scene.base_dir = Path(scene_path).resolve().parent if scene_path is not None else stems.resolve().parent
        scene.input["path"] = os.path.relpath(Path(path).resolve(), scene.base_dir)
        step("sounds", 0.0)
        scene, sound_notes = assign_sounds(scene, library, stems, seed=seed, sample_rate=options.sample_rate,
                                           text_to_audio=text_to_audio)
        step("sounds", 1.0)
        audio, report = render_scene(scene, options, out=out, progress=lambda f: step("render", f))
    return audio, report, scene, info, notes + sound_notes + report.notes
