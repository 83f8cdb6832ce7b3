"""``see2sound demo``: the bundled example pictures rendered in every format, offline."""

from __future__ import annotations

import os
import shutil
from importlib import resources
from pathlib import Path
from typing import Callable

from .errors import ParameterError
from .formats import FORMATS
from .io.files import atomic_folder
from .outputs import write_render_to
from .pipeline import AnalysisOptions, Pipeline, SoundOptions
from .scene import Scene
from .spatial import RenderOptions
from .spatial.renderer import render_scene

DEMO_PICTURES = ("chelsea.jpg", "coffee.jpg", "astronaut.jpg")
MAX_DEMO_DURATION_S = 600.0


def render_demo(folder: str | os.PathLike, *, duration_s: float = 10.0, seed: int = 0,
                say: Callable[[str], None] | None = None) -> list[tuple[Path, object]]:
    """Render the bundled pictures into ``folder`` (all or nothing); returns (file, RenderReport) per render.

    Each picture gets a sub-folder with the picture, its scene, stems/, an
    overlay and one WAV per registered format.
    """
    if not 0 < duration_s <= MAX_DEMO_DURATION_S:
        raise ParameterError("duration_s", f"must be more than 0 and at most {MAX_DEMO_DURATION_S:g} s, "
                                           f"got {duration_s:g}")
    from .vision.overlay import render_overlay

    folder = Path(folder)
    examples = Path(str(resources.files("see2sound") / "data" / "examples"))
    pipeline = Pipeline.from_preset("offline")
    written = []
    with atomic_folder(folder) as tmp:
        for picture in DEMO_PICTURES:
            name = Path(picture).stem
            (tmp / name).mkdir()
            scene_path = tmp / name / f"{name}.json"
            shutil.copy(examples / picture, tmp / name / picture)
            result = pipeline.run(tmp / name / picture, analysis=AnalysisOptions(duration_s=duration_s),
                                  sounds=SoundOptions(seed=seed), stems_dir=tmp / name / "stems", scene_path=scene_path)
            result.scene.save(scene_path)
            render_overlay(result.analysis.picture.rgb, result.scene, result.analysis.picture.scale).save(
                tmp / name / f"{name}-overlay.png")
            scene = Scene.load(scene_path)
            for fmt in FORMATS:
                audio, report = render_scene(scene, RenderOptions(format=fmt))
                out = tmp / name / f"{name}.{fmt}.wav"
                write_render_to(out, audio, scene, report.sample_rate, fmt, subtype="float", suffix=".wav")
                written.append((folder / name / out.name, report))
            if say is not None:
                labels = ", ".join(f"{s.label} ({s.sound.get('description')})" for s in result.scene.sources) or "none"
                say(f"{picture}: sources: {labels}; ambience {result.scene.ambience.kind}")
    return written
