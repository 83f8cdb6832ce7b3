"""A hand-written scene rendered in every format, offline.

    python examples/hand_written_scene.py [-o OUT_DIR]

Writes four synthesised sounds and a scene file into OUT_DIR (default
./see2sound-example), then renders it as binaural, FOA (with a binaural
preview), stereo, 5.1 and 7.1 through the ``see2sound spatialize`` command.
The sounds are made here, so nothing needs a licence or a download:

- a chime at +60 deg (front left), 3 m, striking every 2 s;
- rain behind the listener, spread over 120 deg;
- a bee flying a circle around the listener's head (a trajectory), 1.5 m;
- a diesel-like rumble at -30 deg (front right), 12 m (air absorption dulls it).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

SR = 48000


def chime(seconds: float = 2.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    partials = [(523.3, 1.0), (1046.5, 0.5), (1567.0, 0.35), (2637.0, 0.2)]
    x = sum(a * np.sin(2 * np.pi * f * t) * np.exp(-t * (1.5 + f / 800)) for f, a in partials)
    return 0.3 * x


def rain(seconds: float, rng) -> np.ndarray:
    hiss = signal.sosfilt(signal.butter(2, [800, 9000], "bandpass", fs=SR, output="sos"),
                          rng.standard_normal(int(seconds * SR)))
    drops = np.zeros(int(seconds * SR))
    drops[rng.integers(0, len(drops), int(40 * seconds))] = rng.uniform(0.5, 2.0, int(40 * seconds))
    drops = signal.lfilter([1.0], [1.0, -0.95], drops) * 0.2
    return 0.05 * hiss + signal.sosfilt(signal.butter(2, 2000, "highpass", fs=SR, output="sos"), drops)


def bee(seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    f = 220 + 15 * np.sin(2 * np.pi * 6 * t)
    phase = 2 * np.pi * np.cumsum(f) / SR
    return 0.2 * signal.sawtooth(phase) * (0.8 + 0.2 * np.sin(2 * np.pi * 11 * t))


def rumble(seconds: float, rng) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    firing = signal.square(2 * np.pi * 24 * t) * 0.5 + 0.5
    body = signal.sosfilt(signal.butter(2, 400, fs=SR, output="sos"), firing + 0.3 * rng.standard_normal(len(t)))
    return 0.8 * body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--out", default="see2sound-example", help="output folder")
    args = parser.parse_args()
    out = Path(args.out)
    (out / "sounds").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    for name, x in (("chime", chime()), ("rain", rain(6.0, rng)), ("bee", bee(6.0)), ("rumble", rumble(6.0, rng))):
        sf.write(str(out / "sounds" / f"{name}.wav"), x.astype(np.float32), SR)
    circle = [{"t": t, "azimuth_deg": float(((t / 8.0) * 360.0 + 180) % 360 - 180), "elevation_deg": 10.0,
               "distance_m": 1.5} for t in np.arange(0.0, 10.5, 0.5)]
    scene = {
        "schema": "see2sound.scene/2",
        "duration_s": 10.0,
        "sources": [
            {"id": "chime", "label": "clock chime", "position": {"azimuth_deg": 60, "elevation_deg": 5, "distance_m": 3},
             "audio": {"path": "sounds/chime.wav", "gain_db": -3}},
            {"id": "rain", "label": "rain", "position": {"azimuth_deg": 180, "elevation_deg": 20, "distance_m": 4},
             "spread_deg": 120, "audio": {"path": "sounds/rain.wav", "gain_db": -6}},
            {"id": "bee", "label": "bee", "trajectory": circle,
             "position": {k: v for k, v in circle[0].items() if k != "t"},
             "audio": {"path": "sounds/bee.wav", "gain_db": -12}},
            {"id": "rumble", "label": "engine", "position": {"azimuth_deg": -30, "elevation_deg": 0, "distance_m": 12},
             "audio": {"path": "sounds/rumble.wav", "gain_db": 6}},
        ],
    }
    (out / "scene.json").write_text(json.dumps(scene, indent=2))
    renders = [("binaural.wav", []), ("foa.wav", ["--preview", str(out / "foa-preview-binaural.wav")]),
               ("stereo.flac", []), ("mix_5.1.wav", []), ("mix_7.1.wav", [])]
    for name, extra in renders:  # the format is read from each output's name
        cmd = [sys.executable, "-m", "see2sound.cli", "spatialize", str(out / "scene.json"),
               "-o", str(out / name), *extra]
        subprocess.run(cmd, check=True)
    print(f"scene and renders in {out}/")


if __name__ == "__main__":
    main()
