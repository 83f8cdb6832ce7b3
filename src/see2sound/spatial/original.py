"""SEE-2-SOUND's spatial step, reproduced faithfully for comparison (``--renderer see2sound-original``).

What the published method does with a W x H picture and its sounds
(Dagli et al., 2024; facts as checked in this project's RESOURCES):

- a pyroomacoustics ``ShoeBox`` of W x H x 0.5 W "metres" (pixels taken as
  metres), ``max_order=1``, default walls, sampled at 16 kHz;
- the listener at (W/2, H/2, 0) on the front wall;
- each source at its box centre (u, v) and depth z = (255 - d) 0.5 W / 255,
  d its min-max normalised disparity (0 far, 255 near);
- six single-microphone simulations, one per 5.1 channel, the microphone
  offset from the listener by FL [0, 0, +100], FR [0, 0, -100], FC [10, 0, 0],
  LFE [0, -100, 0], BL [-100, 0, 0], BR [0, 100, 0];
- each result centre-cropped to the sound's length, times 15; the six joined
  as 5.1 (L R C LFE Ls Rs) and multiplied by 10.

Its flaws, kept on purpose so the comparison is honest:

1. Pixels are metres: a 1920-pixel picture is a 1.9 km hall, so sound takes
   seconds to arrive and levels follow pixel distances, not the scene's.
2. Depth is relative (min-max normalised per picture), never metric.
3. No panning law: the channels differ only by the path differences to
   microphones 10 to 100 "metres" apart in a room hundreds wide, so left and
   right barely differ and the source's azimuth hardly shows.
4. The FR microphone sits behind the front wall (z = -100): outside the room,
   so the right front channel is silent.
5. The LFE is a full-band feed like the others; the fixed gains (x15, x10)
   ignore loudness and can clip; nothing above 8 kHz survives 16 kHz.
6. Sources behind the camera cannot exist; elevation is only the box's row.

Scenes without a picture are projected through a 65 deg, 1920 x 1080 camera,
and a source behind the listener is put on the nearer picture edge. The
output is 5.1 at 16 kHz, resampled to the requested rate. It is not
loudness-normalised (faithfully); the report measures what came out.
Needs the optional ``pyroomacoustics`` (``pip install "see2sound[original]"``).

Contents
--------
OriginalRenderer   the Renderer registered as ``see2sound-original`` (5.1 only)
render_original, MIC_OFFSETS
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import MissingExtraError
from ..io.audio import resample
from ..registry import Component
from ..scene import Scene
from . import loudness
from .geometry import Path, to_spherical
from .options import Progress, RenderOptions, RenderReport
from .signals import active_gain
from .renderer import audible_sources, measure_loudness, ref_samples

ORIGINAL_RATE = 16000
#: Microphone offsets from the listener, in 5.1 channel order (L R C LFE Ls Rs).
MIC_OFFSETS = np.array([[0, 0, 100], [0, 0, -100], [10, 0, 0], [0, -100, 0], [-100, 0, 0], [0, 100, 0]], float)
CHANNEL_GAIN, MIX_GAIN = 15.0, 10.0
DEFAULT_SIZE = (1920, 1080)
DEFAULT_HFOV_DEG = 65.0


def _picture_geometry(scene: Scene) -> tuple[int, int, float]:
    if scene.input and scene.input.get("width") and scene.input.get("height"):
        width, height = int(scene.input["width"]), int(scene.input["height"])
    else:
        width, height = DEFAULT_SIZE
    hfov = float((scene.camera or {}).get("hfov_deg") or DEFAULT_HFOV_DEG)
    return width, height, hfov


def _pixel(source, width: int, height: int, hfov_deg: float) -> tuple[float, float]:
    """The box centre, or the pixel the source's (mean) direction projects to."""
    if source.box:
        x0, y0, x1, y1 = source.box
        return (x0 + x1) / 2, (y0 + y1) / 2
    d = Path.of(source).directions.mean(axis=0)
    az, el = to_spherical(d)
    az = float(np.clip(az, -hfov_deg / 2, hfov_deg / 2))  # behind or beyond the frame: its edge
    f = (width / 2) / math.tan(math.radians(hfov_deg) / 2)
    u = width / 2 - f * math.tan(math.radians(az))
    v = height / 2 - math.hypot(f, u - width / 2) * math.tan(math.radians(float(el)))
    return float(np.clip(u, 0, width)), float(np.clip(v, 0, height))


class OriginalRenderer(Component):
    """SEE-2-SOUND's own spatial step, flaws and all (5.1 only; needs see2sound[original])."""

    name = "see2sound-original"
    formats = ("5.1",)

    def render(self, scene: Scene, options: RenderOptions, *, out: np.ndarray | None = None,
               progress: Progress | None = None) -> tuple[np.ndarray, RenderReport]:
        notes: list[str] = []
        audio = render_original(scene, options.sample_rate, notes)
        if out is not None:
            out[:] = audio
            audio = out
        if progress is not None:
            progress(1.0)
        report = RenderReport(options.format, options.sample_rate, audio.shape[0], audio.shape[1],
                              "see2sound-original shoebox",
                              loudness_lufs=measure_loudness(audio, options, None),
                              true_peak_dbtp=loudness.true_peak_dbtp(audio),
                              measured_on="output channels, as rendered (the original method does not normalise)",
                              notes=notes)
        return audio, report


def render_original(scene: Scene, sample_rate: int, notes: list[str] | None = None) -> np.ndarray:
    """5.1 audio [shape=(6, n), float32] made the way SEE-2-SOUND made it (see module docstring).

    Muted sources are left out (the original had no such thing).
    """

    try:
        import pyroomacoustics as pra
    except ImportError:
        raise MissingExtraError("the see2sound-original renderer (pyroomacoustics)", "original") from None
    width, height, hfov = _picture_geometry(scene)
    n_out = int(round(scene.duration_s * ORIGINAL_RATE))
    sources = audible_sources(scene)
    if not sources:  # nothing to place: the original has no ambience bed, so silence
        return np.zeros((6, int(round(scene.duration_s * sample_rate))), dtype=np.float32)
    # Disparity stands for nearness: 1/distance, min-max normalised to 0..255 over the scene.
    distances = np.array([s.position.distance_m for s in sources])
    nearness = 1.0 / distances
    span = nearness.max() - nearness.min()
    disparity = 255.0 * (nearness - nearness.min()) / span if span > 0 else np.full(len(distances), 255.0)
    room_size = [float(width), float(height), 0.5 * width]
    listener = np.array([width / 2, height / 2, 0.0])
    signals = []
    for source in sources:
        x = ref_samples(scene, source.audio, ORIGINAL_RATE, f"{source.id}.audio", notes if notes is not None else [])
        x = x[int(source.audio.offset_s * ORIGINAL_RATE):] * 10 ** (source.audio.gain_db / 20)
        x = np.resize(x, n_out) if source.audio.loop else np.pad(x, (0, max(0, n_out - len(x))))[:n_out]
        if source.active_s is not None:
            x = x * active_gain(np.arange(n_out) / ORIGINAL_RATE, *source.active_s)
        signals.append(x)
    out = np.zeros((6, n_out))
    for ch, offset in enumerate(MIC_OFFSETS):
        mic = listener + offset
        if np.any(mic < 0) or np.any(mic > room_size):
            # Flaw 4: this microphone is outside the room. The original's pyroomacoustics left it
            # silent; newer versions refuse to simulate it, so the silence is written here.
            continue
        room = pra.ShoeBox(room_size, fs=ORIGINAL_RATE, max_order=1)
        for source, x, d in zip(sources, signals, disparity):
            u, v = _pixel(source, width, height, hfov)
            z = (255.0 - d) * 0.5 * width / 255.0
            # 1 mm inside the walls: a source on the picture's edge would sit exactly on one.
            position = np.clip([u, v, z], 1e-3, np.array(room_size) - 1e-3)
            room.add_source(position, signal=x)
        room.add_microphone(mic[:, None])
        room.simulate()
        y = room.mic_array.signals[0]
        start = max(0, (len(y) - n_out) // 2)  # centre crop, as the original did
        piece = y[start:start + n_out]
        out[ch, :len(piece)] = CHANNEL_GAIN * piece
    out *= MIX_GAIN
    n = int(round(scene.duration_s * sample_rate))
    audio = resample(out, ORIGINAL_RATE, sample_rate)
    audio = np.pad(audio, ((0, 0), (0, max(0, n - audio.shape[1]))))[:, :n]
    return audio.astype(np.float32)
