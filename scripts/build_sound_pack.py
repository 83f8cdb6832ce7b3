"""Re-derive the bundled sound pack from Debian's openttd-opensfx 1.0.3.

    python scripts/build_sound_pack.py      # needs apt-get (downloads the .deb)

opensfx.cat holds 73 recordings; each entry's title carries its author,
editor and licence. The clips chosen below (CC0 1.0 or CC BY 3.0 only; #24,
the one CC BY-SA clip, is never taken) are trimmed of silence, loudness-
matched to -20 LUFS (RMS for clips too short to gate), and written as 16-bit
FLAC into src/see2sound/data/sounds/opensfx/ with index.json and ATTRIBUTION.md.
"""

from __future__ import annotations

import io
import json
import re
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyloudnorm
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src/see2sound/data/sounds/opensfx"
TARGET_LUFS = -20.0

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


def read_cat(path: Path) -> list[tuple[str, bytes, str]]:
    """(title, RIFF/WAVE bytes, file name) for every entry of an opensfx.cat."""
    data = path.read_bytes()
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


def trim(x: np.ndarray, sr: int) -> np.ndarray:
    level = np.abs(x)
    above = np.flatnonzero(level > level.max() * 10 ** (-50 / 20))
    x = x[max(0, above[0] - sr // 100):above[-1] + sr // 100]
    fade = min(len(x) // 4, sr // 200)
    ramp = np.sin(np.linspace(0, np.pi / 2, fade)) ** 2
    x[:fade] *= ramp
    x[-fade:] *= ramp[::-1]
    return x


def normalise(x: np.ndarray, sr: int) -> np.ndarray:
    if len(x) >= int(0.5 * sr):
        loudness = pyloudnorm.Meter(sr).integrated_loudness(x)
    else:
        loudness = 20 * np.log10(np.sqrt(np.mean(x ** 2)) + 1e-12) - 0.691 + 3.0
    y = x * 10 ** ((TARGET_LUFS - loudness) / 20)
    peak = np.max(np.abs(y))
    return y / peak * 0.89 if peak > 0.89 else y


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["apt-get", "download", "openttd-opensfx"], cwd=tmp, check=True, capture_output=True)
        deb = next(Path(tmp).glob("openttd-opensfx_*.deb"))
        subprocess.run(["dpkg", "-x", str(deb), tmp + "/x"], check=True)
        entries = read_cat(Path(tmp) / "x/usr/share/games/openttd/baseset/opensfx/opensfx.cat")
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
                      "audioset": audioset, "kind": kind, "duration_s": round(len(x) / sr, 3),
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


if __name__ == "__main__":
    main()
