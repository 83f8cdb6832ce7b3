"""Giving every source of a scene a sound, and the scene an ambience bed.

Candidates for a source, best first:

1. the user's own clips whose labels match the source's label (score 3),
2. bundled clips whose labels match (score 2),
3. procedural models whose labels match (score 1.5),
4. any clip or model sharing an AudioSet class with the source's intended
   ``sound.audioset`` (score 1 + overlap).

Ties are broken by a generator seeded from ``seed`` and the source id, so the
same seed gives the same choice; a clip already given to another source of
the scene is passed over while another candidate is left (two dogs bark
differently). A source whose label makes no sound (a chair) gets none.

Level: each label's typical level at 1 m (see :mod:`..vision.vocabulary`)
sets the stem's ``gain_db`` as half its difference from 65 dB SPL, so a
truck is clearly louder than a cat and both stay audible; the renderer then
applies the distance law.

Contents
--------
Choice, choose_sound, assign_sounds, AMBIENCE_BEDS
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..io.audio import read_mono
from ..scene import Ambience, AudioRef, Scene, Source
from ..vision.vocabulary import KINDS
from .fit import edge_fade, fit
from .library import Entry, SoundLibrary
from .synth import MODELS, synthesize

REFERENCE_LEVEL_DB = 65.0
LEVEL_SCALE = 0.5
#: Ambience kind -> (procedural models, gain dB each).
AMBIENCE_BEDS = {
    "outdoor-nature": (("wind", -14.0), ("birdsong", -16.0)),
    "urban-street": (("traffic", -8.0), ("crowd", -20.0)),
    "indoor-room": (("hum", -30.0), ("fan", -26.0)),
    "water-shore": (("waves", -6.0), ("wind", -16.0)),
}
AMBIENCE_GAIN_DB = -10.0


@dataclass(frozen=True)
class Choice:
    """What a source will sound like: a clip (``entry``) or a procedural ``model``."""

    origin: str  # "user", "library" or "synth"
    entry: Entry | None = None
    model: str | None = None
    score: float = 0.0

    @property
    def key(self) -> str:
        return self.entry.id if self.entry else f"synth:{self.model}"

    @property
    def audioset(self) -> tuple[str, ...]:
        return self.entry.audioset if self.entry else MODELS[self.model].audioset


def _rng(seed: int, *parts: str) -> np.random.Generator:
    digest = hashlib.sha256("/".join([str(seed), *parts]).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def candidates(label: str, audioset: tuple[str, ...], library: SoundLibrary) -> list[Choice]:
    found: list[Choice] = []
    wanted = set(audioset)
    for entry in library.entries:
        overlap = len(wanted & set(entry.audioset))
        if label in entry.labels:
            found.append(Choice(entry.origin, entry=entry, score=(3.0 if entry.origin == "user" else 2.0) + 0.1 * overlap))
        elif overlap:
            found.append(Choice(entry.origin, entry=entry, score=1.0 + 0.1 * overlap))
    for name, model in MODELS.items():
        overlap = len(wanted & set(model.audioset))
        if label in model.labels:
            found.append(Choice("synth", model=name, score=1.5 + 0.1 * overlap))
        elif overlap:
            found.append(Choice("synth", model=name, score=1.0 + 0.1 * overlap))
    return found


def makes_no_sound(label: str) -> bool:
    kind = KINDS.get(label)
    return kind is not None and kind.sound is None


def intended_audioset(source: Source) -> tuple[str, ...]:
    """The AudioSet classes a source should sound like: the scene's, else its label's."""
    kind = KINDS.get(source.label)
    return tuple((source.sound or {}).get("audioset") or (kind.audioset if kind else ()))


def choose_sound(source: Source, library: SoundLibrary, seed: int, used: set[str]) -> Choice | None:
    """The sound for one source, or None when its label makes no sound."""
    if makes_no_sound(source.label):
        return None
    intended = intended_audioset(source)
    pool = candidates(source.label, intended, library)
    if not pool:
        return None
    fresh = [c for c in pool if c.key not in used] or pool
    best = max(c.score for c in fresh)
    top = sorted((c for c in fresh if c.score >= best - 0.05), key=lambda c: c.key)
    pick = top[int(_rng(seed, source.id).integers(len(top)))]
    used.add(pick.key)
    return pick


def level_db(label: str) -> float:
    kind = KINDS.get(label)
    return 0.0 if kind is None or kind.sound is None else LEVEL_SCALE * (kind.sound - REFERENCE_LEVEL_DB)


def render_choice(choice: Choice, duration_s: float, sample_rate: int, seed: int, source_id: str) -> np.ndarray:
    """The dry mono sound of a choice, exactly ``duration_s`` long."""
    rng = _rng(seed, source_id, choice.key)
    if choice.model is not None:
        x = synthesize(choice.model, duration_s, sample_rate, int(rng.integers(2 ** 31)))
        return edge_fade(x, sample_rate)
    clip, _ = read_mono(choice.entry.path, sample_rate, max_duration_s=600.0)
    return fit(clip, choice.entry.kind, duration_s, sample_rate, rng)


def assign_sounds(scene: Scene, library: SoundLibrary, stems_dir: str | os.PathLike, *, seed: int = 0,
                  sample_rate: int = 48000, text_to_audio=None) -> tuple[Scene, list[str]]:
    """Give each source (and the ambience) a sound, written as a mono stem.

    ``text_to_audio`` (a :class:`see2sound.hub.sound.TextToAudio`, quality
    mode) generates every sounding source's sound from a prompt instead of
    choosing one from the libraries; all prompts of the scene are generated
    in batches, each seeded from ``seed`` and the source id.

    Returns the scene with ``audio`` pointing at the stems (relative to the
    scene's folder) and ``sound`` describing each choice, and notes.
    Sources whose label makes no sound, or for which no library clip or
    model fits, are left out of the returned scene (with a note).
    """
    stems = Path(stems_dir)
    stems.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()
    kept, notes = [], []
    generated = _generate(scene, text_to_audio, seed, sample_rate) if text_to_audio is not None else {}
    for source in scene.sources:
        if source.id in generated:
            audio, info = generated[source.id]
        else:
            choice = choose_sound(source, library, seed, used)
            if choice is None:
                why = "makes no sound" if makes_no_sound(source.label) else "has no sound in the libraries"
                notes.append(f"{source.id} ({source.label or 'no label'}) {why}: left out")
                continue
            audio, info = render_choice(choice, scene.duration_s, sample_rate, seed, source.id), describe_choice(choice, source)
        if "active_s" in source.extra:
            audio = _active_window(audio, sample_rate, source.extra["active_s"])
        path = stems / f"{source.id}.wav"
        write_stem(path, audio, sample_rate)
        source.audio = AudioRef(path=os.path.relpath(path, scene.base_dir), gain_db=round(level_db(source.label), 1),
                                loop=False)
        source.sound = info
        kept.append(source)
    scene.sources = kept
    segments = [seg for seg in scene.extra.get("segments", []) if seg.get("ambience") in AMBIENCE_BEDS]
    if segments:
        bed = segmented_bed(segments, scene.duration_s, sample_rate, seed)
        path = stems / "ambience.wav"
        write_stem(path, bed, sample_rate)
        scene.ambience = scene.ambience or Ambience()
        scene.ambience.audio = AudioRef(path=os.path.relpath(path, scene.base_dir), gain_db=AMBIENCE_GAIN_DB,
                                        loop=False)
        scene.ambience.extra["sound"] = {"origin": "synth", "by_segment": True}
    elif scene.ambience is not None and scene.ambience.kind in AMBIENCE_BEDS:
        bed = ambience_bed(scene.ambience.kind, scene.duration_s, sample_rate, seed)
        path = stems / "ambience.wav"
        write_stem(path, bed, sample_rate)
        scene.ambience.audio = AudioRef(path=os.path.relpath(path, scene.base_dir), gain_db=AMBIENCE_GAIN_DB,
                                        loop=False)
        scene.ambience.extra["sound"] = {"origin": "synth",
                                         "models": [m for m, _ in AMBIENCE_BEDS[scene.ambience.kind]]}
    return scene, notes


def _generate(scene: Scene, text_to_audio, seed: int, sample_rate: int) -> dict[str, tuple[np.ndarray, dict]]:
    """Source id -> (dry mono sound of the scene's length, its ``sound`` entry) for every sounding source."""
    from ..hub.sound import prompt_for

    ambience = scene.ambience.kind if scene.ambience is not None else None
    todo = []
    for source in scene.sources:
        if makes_no_sound(source.label):
            continue
        audioset = intended_audioset(source)
        todo.append((source, audioset, prompt_for(source.label, audioset, ambience),
                     int(_rng(seed, source.id, "generate").integers(2 ** 31))))
    clips = text_to_audio.generate([t[2] for t in todo], [t[3] for t in todo], scene.duration_s, sample_rate)
    out = {}
    n = max(1, int(round(scene.duration_s * sample_rate)))
    for (source, audioset, prompt, source_seed), clip in zip(todo, clips):
        if len(clip) >= n:
            audio = edge_fade(clip[:n].copy(), sample_rate)
        else:
            audio = fit(clip, "loop", scene.duration_s, sample_rate, _rng(seed, source.id, "fit"))
        info = {"origin": "generated", "audioset": list(audioset), "description": prompt, "prompt": prompt,
                "seed": source_seed,
                **text_to_audio.description}
        out[source.id] = (audio, info)
    return out


def write_stem(path: Path, audio: np.ndarray, sample_rate: int) -> None:
    import soundfile as sf

    from ..io.audio import zero_peak_timestamp
    from ..io.files import atomic_output

    with atomic_output(path) as tmp:
        sf.write(str(tmp), audio, sample_rate, format="WAV", subtype="FLOAT")
        zero_peak_timestamp(tmp)


def describe_choice(choice: Choice, source: Source) -> dict:
    wanted = list((source.sound or {}).get("audioset") or KINDS.get(source.label, KINDS["person"]).audioset)
    info = {"origin": choice.origin, "audioset": wanted or list(choice.audioset)}
    if choice.entry is not None:
        info.update(clip=choice.entry.id, description=choice.entry.title or Path(choice.entry.path).stem,
                    license=choice.entry.license, credit=choice.entry.credit)
    else:
        info.update(model=choice.model, description=f"procedural {choice.model}")
    return {k: v for k, v in info.items() if v is not None}


ACTIVE_FADE_S = 0.3
SEGMENT_CROSSFADE_S = 0.5


def _active_window(audio: np.ndarray, sample_rate: int, active) -> np.ndarray:
    """Silence outside [start, end] seconds, with fades at both ends (a track born and gone)."""
    start, end = (float(v) for v in active)
    t = np.arange(len(audio), dtype=np.float32) / sample_rate
    ramp = np.clip(np.minimum(t - start, end - t) / ACTIVE_FADE_S, 0.0, 1.0)
    return (audio * np.sin(0.5 * np.pi * ramp) ** 2).astype(np.float32)


def segmented_bed(segments: list[dict], duration_s: float, sample_rate: int, seed: int) -> np.ndarray:
    """One bed per shot, each faded in and out across the cuts."""
    n = max(1, int(round(duration_s * sample_rate)))
    mix = np.zeros(n, dtype=np.float32)
    for k, seg in enumerate(segments):
        bed = ambience_bed(seg["ambience"], duration_s, sample_rate, seed + k)
        lo = seg["start_s"] - SEGMENT_CROSSFADE_S / 2 if k else -1.0
        hi = seg["end_s"] + SEGMENT_CROSSFADE_S / 2 if k < len(segments) - 1 else duration_s + 1.0
        mix += _active_window(bed, sample_rate, (lo, hi))[:n]
    return edge_fade(mix, sample_rate).astype(np.float32)


def ambience_bed(kind: str, duration_s: float, sample_rate: int, seed: int) -> np.ndarray:
    """A mono bed for an ambience kind, mixed from procedural models at fixed relative levels."""
    mix = np.zeros(max(1, int(round(duration_s * sample_rate))), dtype=np.float32)
    for name, gain_db in AMBIENCE_BEDS[kind]:
        x = synthesize(name, duration_s, sample_rate, int(_rng(seed, "ambience", name).integers(2 ** 31)))
        mix += np.float32(10 ** (gain_db / 20)) * x[: len(mix)]
    return edge_fade(mix, sample_rate).astype(np.float32)
