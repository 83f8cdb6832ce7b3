"""Giving every source of a scene a sound, and the scene an ambience bed.

Candidates for a source, by name first:

1. the user's own clips whose labels match the source's label (score 3),
2. bundled clips whose labels match (score 2),
3. procedural models whose labels match (score 1.5); a model made for a
   size class (``small-dog``) only for a source of that ``sound.size``,
4. any clip or model sharing an AudioSet class with the source's intended
   ``sound.audioset`` (score 1 + overlap).

Then by ear: each candidate gains :data:`AGREEMENT_WEIGHT` x how strongly
an AudioSet tagger hears it as one of the source's intended classes
(:func:`.heard.agreement`, 0..1, measured once per clip and model and
kept), or :data:`UNHEARD_AGREEMENT` when it was never heard. So a recording
the tagger hears as a dog beats a procedural bark, and a user's clip that
named itself "dog" but sounds like traffic loses to one that barks.

Candidates within :data:`EQUALLY_GOOD` of the best are equally good: one
is picked by a generator seeded from ``seed`` and the source id, so the
same seed gives the same choice and another seed may give another take; a clip already given to another source of
the scene is passed over while another candidate is left (two dogs bark
differently). A source whose label makes no sound (a chair) gets none.

Level: each label's typical level at 1 m (see :mod:`..vision.vocabulary`)
sets the stem's ``gain_db`` as half its difference from 65 dB SPL, so a
truck is clearly louder than a cat and both stay audible; the renderer then
applies the distance law.

Contents
--------
LibrarySounds   the library as a SoundSource (the default)
assign_sounds   the sound stage: every source and the ambience get their sound
Choice, choose_sound, AMBIENCE_BEDS
ambience_bed    a scene's bed: its models' loops (:mod:`.beds`, made once and kept) from the seed's offsets
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..io.audio import read_mono, resample
from ..registry import Component
from ..scene import Ambience, AudioRef, Scene, Segment, Source
from ..vision.vocabulary import KINDS
from .beds import bed_loop
from .fit import edge_faded, fitted
from .heard import agreement, bundled_table
from .library import Entry, SoundLibrary, load_libraries
from .ranged import EdgeFaded, Timeline, RangedSound, as_array, write_stem
from .source import Sound, SoundSource
from .synth import DOG_PITCH, MODELS, synthesized

#: How much the tagger's agreement (0..1) counts against the name tiers above (which are 0.5 to 1 apart).
AGREEMENT_WEIGHT = 2.0
#: The agreement assumed for a sound never heard (a user's folder indexed without the tagger).
UNHEARD_AGREEMENT = 0.25
#: Candidates this close to the best score are equally good: the seed picks among them (variety).
EQUALLY_GOOD = 0.3
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
#: Seeds ``k * BED_FAMILY`` to ``k * BED_FAMILY + BED_FAMILY - 1`` share their beds' material
#: (:func:`.beds.bed_loop`, made once and kept), each seed playing it from its own offset and mix.
BED_FAMILY = 16
#: Each model of a bed is mixed within this many dB of its level, by the seed.
BED_MIX_DB = 1.0
#: A longer scene's bed repeats loops of at most this long (each model's shorter by BED_LOOP_STAGGER_S).
BED_LOOP_MAX_S = 30.0
BED_LOOP_STAGGER_S = 3.0


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

    @property
    def heard(self) -> dict[str, float] | None:
        """The tagger's classes and scores for this sound (:mod:`.heard`), or None when never heard."""
        if self.entry is not None:
            return dict(self.entry.heard) or bundled_table()["clips"].get(self.entry.id)
        return bundled_table()["models"].get(self.model)


def _rng(seed: int, *parts: str) -> np.random.Generator:
    digest = hashlib.sha256("/".join([str(seed), *parts]).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def candidates(label: str, audioset: tuple[str, ...], library: SoundLibrary,
               size: str | None = None) -> list[Choice]:
    """Every clip and model that may sound for ``label``, scored as the module says.

    A model made for one size class (a small dog's bark) is a candidate only
    for a source of that ``size``; no size counts as medium.
    """
    found: list[Choice] = []
    wanted = set(audioset)
    for entry in library.entries:
        overlap = len(wanted & set(entry.audioset))
        if label in entry.labels:
            found.append(Choice(entry.origin, entry=entry, score=(3.0 if entry.origin == "user" else 2.0) + 0.1 * overlap))
        elif overlap:
            found.append(Choice(entry.origin, entry=entry, score=1.0 + 0.1 * overlap))
    for name, model in MODELS.items():
        if model.size is not None and model.size != (size or "medium"):
            continue
        overlap = len(wanted & set(model.audioset))
        if label in model.labels:
            found.append(Choice("synth", model=name, score=1.5 + 0.1 * overlap))
        elif overlap:
            found.append(Choice("synth", model=name, score=1.0 + 0.1 * overlap))
    return [replace(c, score=round(c.score + AGREEMENT_WEIGHT * _agreement(c, wanted), 4)) for c in found]


def _agreement(choice: Choice, wanted: set[str]) -> float:
    heard = agreement(choice.heard, wanted)
    return UNHEARD_AGREEMENT if heard is None else heard


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
    pool = candidates(source.label, intended, library, (source.sound or {}).get("size"))
    if not pool:
        return None
    fresh = [c for c in pool if c.key not in used] or pool
    best = max(c.score for c in fresh)
    top = sorted((c for c in fresh if c.score >= best - EQUALLY_GOOD), key=lambda c: c.key)
    pick = top[int(_rng(seed, source.id).integers(len(top)))]
    used.add(pick.key)
    return pick


def level_db(label: str) -> float:
    kind = KINDS.get(label)
    return 0.0 if kind is None or kind.sound is None else LEVEL_SCALE * (kind.sound - REFERENCE_LEVEL_DB)


def render_choice(choice: Choice, duration_s: float, sample_rate: int, seed: int, source_id: str,
                  size: str | None = None) -> np.ndarray:
    """The dry mono sound of a choice, exactly ``duration_s`` long.

    A recording for a source with a size class (a dog's, from its breed) is
    pitched as the size's models are (:data:`~.synth.DOG_PITCH`: a small
    dog's bark 1.5 x higher, a large one's 0.7 x), by playing it faster or
    slower; a model made for that size is already pitched.
    """
    return np.asarray(choice_sound(choice, duration_s, sample_rate, seed, source_id, size))


def choice_sound(choice: Choice, duration_s: float, sample_rate: int, seed: int, source_id: str,
                 size: str | None = None):
    """:func:`render_choice` as a ranged sound (:mod:`.ranged`): the same samples, made a stretch at a time."""
    rng = _rng(seed, source_id, choice.key)
    if choice.model is not None:
        return edge_faded(synthesized(choice.model, duration_s, sample_rate, int(rng.integers(2 ** 31))), sample_rate)
    clip, _ = read_mono(choice.entry.path, sample_rate, max_duration_s=600.0)
    pitch = DOG_PITCH.get(size or "medium", 1.0)
    if pitch != 1.0:  # samples made at sample_rate, heard as if recorded at pitch x sample_rate
        clip = resample(clip, int(round(sample_rate * pitch)), sample_rate).astype(np.float32)
    return fitted(clip, choice.entry.kind, duration_s, sample_rate, rng)


class LibrarySounds(Component):
    """Sounds from the libraries: your folders (``libraries``, ``SEE2SOUND_LIBRARY``, the config file),
    the bundled clips and the procedural models, chosen as the module docstring says."""

    name = "library"

    def __init__(self, libraries: tuple[str, ...] | list[str] = (), *, library: SoundLibrary | None = None):
        self.folders = tuple(libraries)
        self._library = library
        self.notes: list[str] = []

    @property
    def library(self) -> SoundLibrary:
        if self._library is None:
            self.prepare()
        return self._library

    def prepare(self) -> None:
        """Index the folders (cached on disk; files that cannot be read are skipped with a note)."""
        if self._library is None:
            self._library = load_libraries(self.folders)
            self.notes.extend(self._library.warnings)

    def sounds_for(self, scene: Scene, *, seed: int, sample_rate: int) -> dict[str, Sound]:
        used: set[str] = set()
        out = {}
        for source in scene.sources:
            choice = choose_sound(source, self.library, seed, used)
            if choice is not None:
                out[source.id] = Sound(choice_sound(choice, scene.duration_s, sample_rate, seed, source.id,
                                                    (source.sound or {}).get("size")),
                                       describe_choice(choice, source))
        return out


def assign_sounds(scene: Scene, sounds: SoundSource | list[SoundSource] | tuple[SoundSource, ...],
                  stems_dir: str | os.PathLike | None = None, *, seed: int = 0,
                  sample_rate: int = 48000) -> tuple[Scene, list[str]]:
    """Give each source (and the ambience) a sound: the sound stage.

    ``sounds`` are asked in order (e.g. a text-to-audio model, then the
    library); a source gets the first answer. Each sound is written as a mono
    stem into ``stems_dir`` (``audio.path`` relative to the scene's folder),
    or, without one, held in memory (``AudioRef.samples``). Stems are whole:
    the renderer applies a source's ``active_s`` window. Sources none of
    ``sounds`` has a sound for (their label makes no sound, or nothing fits)
    are left out of the returned scene, with a note. Muted sources get their
    sound too (un-muting one later needs it); the renderer keeps them silent.

    Returns the scene and notes.
    """
    chain = [sounds] if not isinstance(sounds, (list, tuple)) else list(sounds)
    stems = Path(stems_dir) if stems_dir is not None else None
    if stems is not None:
        stems.mkdir(parents=True, exist_ok=True)
    answers: dict[str, Sound] = {}
    notes: list[str] = []
    for provider in chain:
        todo = Scene(scene.duration_s, [s for s in scene.sources if s.id not in answers], ambience=scene.ambience,
                     base_dir=scene.base_dir)
        if todo.sources:
            answers.update(provider.sounds_for(todo, seed=seed, sample_rate=sample_rate))
        notes.extend(provider.notes)

    def keep(audio, name: str, gain_db: float) -> AudioRef:
        """The sound (an array or a ranged sound, :mod:`.ranged`) in memory, or written to its stem a block at
        a time."""
        if stems is None:
            return AudioRef(gain_db=gain_db, loop=False, samples=as_array(audio), sample_rate=sample_rate)
        path = stems / f"{name}.wav"
        write_stem(path, audio, sample_rate)
        return AudioRef(path=os.path.relpath(path, scene.base_dir), gain_db=gain_db, loop=False)

    kept = []
    for source in scene.sources:
        sound = answers.get(source.id)
        if sound is None:
            why = "makes no sound" if makes_no_sound(source.label) else "has no sound in the libraries"
            notes.append(f"{source.id} ({source.label or 'no label'}) {why}: left out")
            continue
        source.audio = keep(sound.audio, source.id, round(level_db(source.label), 1))
        source.sound = sound.info
        kept.append(source)
    scene.sources = kept
    segments = [seg for seg in scene.segments if seg.ambience in AMBIENCE_BEDS]
    if segments:
        bed = segmented_bed_sound(segments, scene.duration_s, sample_rate, seed)
        scene.ambience = scene.ambience or Ambience()
        scene.ambience.audio = keep(bed, "ambience", AMBIENCE_GAIN_DB)
        scene.ambience.extra["sound"] = {"origin": "synth", "by_segment": True}
    elif scene.ambience is not None and scene.ambience.kind in AMBIENCE_BEDS:
        bed = ambience_bed_sound(scene.ambience.kind, scene.duration_s, sample_rate, seed)
        scene.ambience.audio = keep(bed, "ambience", AMBIENCE_GAIN_DB)
        scene.ambience.extra["sound"] = {"origin": "synth",
                                         "models": [m for m, _ in AMBIENCE_BEDS[scene.ambience.kind]]}
    return scene, notes


def describe_choice(choice: Choice, source: Source) -> dict:
    wanted = list((source.sound or {}).get("audioset") or KINDS.get(source.label, KINDS["person"]).audioset)
    info = {"origin": choice.origin, "audioset": wanted or list(choice.audioset),
            "size": (source.sound or {}).get("size")}
    if choice.entry is not None:
        info.update(clip=choice.entry.id, description=choice.entry.title or Path(choice.entry.path).stem,
                    license=choice.entry.license, credit=choice.entry.credit)
    else:
        info.update(model=choice.model, description=f"procedural {choice.model}")
    return {k: v for k, v in info.items() if v is not None}


#: Consecutive shots' ambience beds overlap by this long around a cut.
SHOT_CROSSFADE_S = 0.5


def segmented_bed(segments: list[Segment], duration_s: float, sample_rate: int, seed: int) -> np.ndarray:
    """One bed per shot, each faded in and out across the cuts."""
    return np.asarray(segmented_bed_sound(segments, duration_s, sample_rate, seed))


def segmented_bed_sound(segments: list[Segment], duration_s: float, sample_rate: int, seed: int) -> EdgeFaded:
    """:func:`segmented_bed` as a ranged sound (:mod:`.ranged`)."""
    n = max(1, int(round(duration_s * sample_rate)))
    beds = []
    for k, seg in enumerate(segments):
        lo = seg.start_s - SHOT_CROSSFADE_S / 2 if k else -1.0
        hi = seg.end_s + SHOT_CROSSFADE_S / 2 if k < len(segments) - 1 else duration_s + 1.0
        beds.append((ambience_bed_sound(seg.ambience, duration_s, sample_rate, seed + k), lo, hi))
    return edge_faded(_ShotBeds(n, sample_rate, beds), sample_rate)


class _ShotBeds(RangedSound):
    """The shots' beds, each heard (sin^2 faded) only around its shot, mixed in shot order."""

    def __init__(self, n: int, sample_rate: int, beds: list):
        self.n, self.sample_rate, self.beds = n, sample_rate, beds

    def forget(self) -> None:
        for bed, _, _ in self.beds:
            bed.forget()

    def read(self, start: int, stop: int) -> np.ndarray:
        from ..spatial.signals import active_gain  # video only: the spatial stage is not loaded for it before

        mix = np.zeros(stop - start, dtype=np.float32)
        # float32 times, as a whole bed's np.arange(n, dtype=float32) holds them (rounded past 2**24 samples)
        t_s = np.arange(start, stop).astype(np.float32) / self.sample_rate
        for bed, lo, hi in self.beds:
            # Outside its window a bed's gain is 0: adding its +-0 leaves the mix as it is, so it is not read.
            if (stop - 1) / self.sample_rate < lo - 1.0 or start / self.sample_rate > hi + 1.0:
                bed.forget()
                continue
            mix += bed.read(start, stop) * active_gain(t_s, lo, hi)
        return mix


def ambience_bed(kind: str, duration_s: float, sample_rate: int, seed: int) -> np.ndarray:
    """A mono bed for an ambience kind [shape=(n,), float32], mixed from procedural models.

    Each model's material is a loop made once per length, rate and seed
    family (:data:`BED_FAMILY`; :func:`.beds.bed_loop` keeps it in memory and
    on disk); the seed plays each from its own offset, at its level in
    :data:`AMBIENCE_BEDS` within :data:`BED_MIX_DB`. The same seed gives the
    same samples. Beyond :data:`BED_LOOP_MAX_S` the loops repeat (each model's
    of another length), so a 10-minute bed costs what a 30-second one does
    (the crowd model needs about 13 MB a second of its loop).
    """
    return np.asarray(ambience_bed_sound(kind, duration_s, sample_rate, seed))


def ambience_bed_sound(kind: str, duration_s: float, sample_rate: int, seed: int) -> EdgeFaded:
    """:func:`ambience_bed` as a ranged sound (:mod:`.ranged`): the loops' copies added as they are heard."""
    n = max(1, int(round(duration_s * sample_rate)))
    rng = _rng(seed, "ambience", kind)
    mix = Timeline(n)
    for k, (name, gain_db) in enumerate(AMBIENCE_BEDS[kind]):
        # A long scene repeats a loop of at most BED_LOOP_MAX_S, each model's a little shorter than the
        # last so that the mix never repeats as a whole: memory and time stay those of a short bed.
        length = min(n, int((BED_LOOP_MAX_S - k * BED_LOOP_STAGGER_S) * sample_rate))
        loop = bed_loop(name, length, sample_rate, seed // BED_FAMILY)
        start = int(rng.integers(length))
        gain = np.float32(10 ** ((gain_db + rng.uniform(-BED_MIX_DB, BED_MIX_DB)) / 20))
        pos = 0
        while pos < n:
            take = min(length - start, n - pos)
            mix.add(pos, take, lambda loop=loop, start=start, take=take, gain=gain: gain * loop[start:start + take])
            pos, start = pos + take, 0
    return edge_faded(mix, sample_rate)
