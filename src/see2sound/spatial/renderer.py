"""Scene -> spatial audio in any output format (SPEC §3).

How each part of a scene is heard:

- **direct sound** of each source: binaural through the HRTF; FOA and HOA by
  AmbiX encoding at the format's order; loudspeaker layouts by VBAP (in 3D,
  by intensity, where there are upper loudspeakers). Distance sets the level
  (inverse law, near-field clamp) and, in binaural, air absorption; nearer
  than 1 m, binaural adds each ear's near-field response (:mod:`.nearfield`);
  in the gain-based formats air absorption is applied where it reaches
  0.5 dB below 10 kHz (beyond ~3 m), since below that it is inaudible and
  filtering costs time.
- **wide sources** (``spread_deg``) become several decorrelated copies
  spread across the arc; the ambience bed is spread all around (360 deg).
- **room** (``--room``): first-order reflections as image sources and a
  diffuse tail (see :mod:`.room`). In binaural, reflections and tail are
  rendered in FOA and decoded through the HRTF; elsewhere they are panned or
  encoded like the direct sound. The tail of an ambisonic format is an
  isotropic field at its order (each channel of degree n at 1/(2n+1) of W's
  power).
- **Doppler** (optional): each path is delayed by its travel time, so a
  moving source shifts in pitch.
- **objects** (``adm``): nothing is panned; each source's dry signal, at
  the level it would be panned with, and the ambience bed are the tracks
  (:mod:`.objects`).
- **LFE** stays silent unless ``lfe=True``, which feeds it the 120 Hz
  low-passed, power-normalised sum of the other channels: bass management in
  the playback chain already routes low frequencies, and an LFE copy of them
  would be counted twice.

Loudness is then normalised (BS.1770 integrated loudness, default -23 LUFS)
and the true peak held at or under -1 dBTP by a look-ahead limiter. FOA and
HOA are measured through their binaural decode (a virtual cube at first
order, MagLS above: :func:`.ambisonics.binaural_decoder`). With neither a
target nor a limiter nothing is measured (the report's loudness and true peak are None).

Muted sources (``muted: true``) are not heard.

Contents
--------
SpatialRenderer  the ``see2sound`` Renderer: render_dry, then master
render_scene     a scene through any registered renderer (default ``see2sound``)
render_dry       the spatial stage alone
master           loudness normalisation and true-peak limiting
"""

from __future__ import annotations

import hashlib
import math
from typing import Callable

import numpy as np

from ..errors import ParameterError, See2SoundError
from ..io.audio import read_mono, resample
from ..registry import Component, create
from ..scene import AudioRef, Scene, Source
from . import ambisonics, loudness
from .distance import SPEED_OF_SOUND_M_S, air_absorption_db, distance_gain
from .engine import BlockEngine, OverlapAdd, VirtualSource
from .filterbank import FilterBank, Steered, Steering
from .geometry import Path
from .hrtf import HRTF, LEAD_IN_SAMPLES
from .nearfield import NEAREST_M
from .options import Progress, RenderOptions, RenderReport, Renderer
from .panning import vbap_gains
from .room import Room, choose_room, diffuse_tail, diffuse_tail_foa, image_sources
from .signals import Clip, Decorrelated, Delayed, FileClip, Signal, Windowed

#: Air absorption is applied where it reaches this much below 10 kHz.
AUDIBLE_AIR_DB = 0.5
#: A source spread over an arc is this many decorrelated copies per 30 deg (3..12).
SPREAD_STEP_DEG = 30.0
#: The whole render fades in and out over this long (cos^2), so it starts and ends without a click.
RENDER_EDGE_FADE_S = 0.01
CONTROL_STEP = 256
#: The block engine's smallest FFT; its block is the FFT less the longest filter.
MIN_FFT = 2048
BLOCKS_PER_CHUNK = 48
#: A chunk's per-source samples are kept under this many bytes.
CHUNK_BYTES = 32 * 1024 * 1024
LFE_CUTOFF_HZ = 120.0
#: RenderReport.measured_on when no loudness target and no limiter were asked.
NOT_MEASURED = "nothing: no loudness target and no limiter were asked"


class SpatialRenderer(Component):
    """see2sound's renderer: HRTF binaural, AmbiX, VBAP loudspeakers, rooms, then loudness and true peak."""

    name = "see2sound"
    formats = None

    def render(self, scene: Scene, options: RenderOptions, *, out: np.ndarray | None = None,
               progress: Progress | None = None) -> tuple[np.ndarray, RenderReport]:
        audio, report = render_dry(scene, options, out=out, progress=progress)
        master(audio, options, report)
        return audio, report


def check_renderer(renderer: Renderer, options: RenderOptions) -> None:
    """An error naming ``format`` if ``renderer`` cannot render the options' format."""
    formats = renderer.formats
    if formats is not None and options.format not in formats:
        raise ParameterError("format", f"the {renderer.name} renderer makes {', '.join(formats)} only, "
                                       f"not {options.format}")


def render_scene(scene: Scene, options: RenderOptions | None = None, *, renderer: str | Renderer = "see2sound",
                 out: np.ndarray | None = None, progress: Progress | None = None) -> tuple[np.ndarray, RenderReport]:
    """Render ``scene`` to audio [shape=(channels, n), float32], n = round(duration_s * rate).

    ``renderer``: a registered renderer's name or a :class:`Renderer`.
    ``out``, if given, is filled instead of a new array (e.g. a disk-backed
    memmap for long renders). ``progress`` is called with the fraction done.
    """
    options = options or RenderOptions()
    engine = create("renderers", renderer)
    check_renderer(engine, options)
    scene.check_limits()
    return engine.render(scene, options, out=out, progress=progress)


def audible_sources(scene: Scene) -> list[Source]:
    """The sources that are heard: all but the muted ones."""
    return [s for s in scene.sources if not s.muted]


def render_dry(scene: Scene, options: RenderOptions, *, out: np.ndarray | None = None,
               progress: Progress | None = None) -> tuple[np.ndarray, RenderReport]:
    """The spatial stage alone: sources, room and edge fades, no loudness or limiting.

    An ``objects`` format (adm) is not panned: its tracks are the sources' dry
    signals and the ambience bed (:func:`.objects.render_objects`).
    """
    if options.output.is_objects:
        from .objects import render_objects

        return render_objects(scene, options, out=out, progress=progress)
    sr = options.sample_rate
    n = int(round(scene.duration_s * sr))
    if n < 1:
        raise See2SoundError(f"duration_s: {scene.duration_s:g} s is shorter than one sample")
    output = options.output
    channels = output.channels
    if out is None:
        out = np.zeros((channels, n), dtype=np.float32)
    elif out.shape != (channels, n):
        raise ValueError(f"out must have shape {(channels, n)}")
    notes: list[str] = []
    clips = load_clips(scene, sr, notes)
    hrtf = HRTF.load(options.hrtf, sr) if output.is_binaural else None
    room = choose_room(options.room, scene)
    plan = _Plan(options, hrtf, room, near=_has_near_sources(scene, hrtf))
    for source in audible_sources(scene):
        plan.add_source(source, clips[source.id], notes)
    if scene.ambience is not None and scene.ambience.audio is not None:
        plan.add_ambience(clips["<ambience>"])
    plan.run(out, progress)
    report = RenderReport(options.format, sr, channels, n, room.name if room else "none",
                          loudness_lufs=None, true_peak_dbtp=None, notes=notes)
    return out, report


def _has_near_sources(scene: Scene, hrtf: HRTF | None) -> bool:
    """Whether any source heard comes nearer than the HRTF's far field (its filters then need more room)."""
    if hrtf is None or hrtf.near_field is None:
        return False
    return any(np.min(Path.of(s).distances_m) < hrtf.near_field.far_m for s in audible_sources(scene))


def load_clips(scene: Scene, sr: int, notes: list[str]) -> dict[str, Signal]:
    """Source id (``"<ambience>"`` for the bed) -> its sound at ``sr``, for every source that is heard.

    Each sound is decoded once, however many sources play it. Long mono files at
    the render's rate, played once, are read as the render needs them; other sounds
    are held in memory up to :data:`SOUNDS_IN_MEMORY_BYTES` in all, and beyond it
    kept in temporary files, so memory does not grow with the number or length of
    the sounds. A source with ``active_s`` is heard only in that window
    (:class:`~.signals.Windowed`).
    """
    active = {source.id: source.active_s for source in scene.sources}
    refs: list[tuple[str, str, AudioRef]] = []
    for i, source in enumerate(scene.sources):
        if source.audio is None:
            raise See2SoundError(f"sources[{i}] ({source.id!r}): has no audio; run the sound stage or add one")
        if not source.muted:
            refs.append((source.id, f"sources[{i}].audio.path", source.audio))
    if scene.ambience is not None and scene.ambience.audio is not None:
        refs.append(("<ambience>", "ambience.audio.path", scene.ambience.audio))
    # One decode per sound: refs to the same file (or the same samples) that loop alike share it.
    groups: dict[tuple, list[tuple[str, str, AudioRef]]] = {}
    for key, where, ref in refs:
        sound = ("samples", id(ref.samples)) if ref.in_memory else ("file", str(scene.resolve(ref.path).resolve()))
        groups.setdefault((*sound, ref.loop), []).append((key, where, ref))
    clips: dict[str, Signal] = {}
    in_memory = 0
    for members in groups.values():
        _, where, first = members[0]
        if not first.in_memory and _streamable(scene.resolve(first.path), sr, first.loop):
            sound: Clip | FileClip = FileClip(scene.resolve(first.path))
        else:
            longest = max(ref.offset_s for _, _, ref in members)
            data = ref_samples(scene, first, sr, where, notes, offset_s=longest)
            # A sound that lasts past the scene never comes round: play it as it is, no loop seam.
            loops = first.loop and len(data) < round((longest + scene.duration_s) * sr)
            sound = Clip(data, sr, loop=loops)
            if in_memory + sound.nbytes > SOUNDS_IN_MEMORY_BYTES:
                sound = sound.to_disk(sr)
            in_memory += sound.nbytes
        for key, _, ref in members:
            clips[key] = sound.placed(10.0 ** (ref.gain_db / 20.0), int(round(ref.offset_s * sr)))
            if active.get(key) is not None:
                clips[key] = Windowed(clips[key], sr, *active[key])
    return clips


def ref_samples(scene: Scene, ref: AudioRef, sr: int, where: str, notes: list[str], *,
                offset_s: float | None = None) -> np.ndarray:
    """The sound an AudioRef holds or names, mono float32 at ``sr``, up to ``offset_s + duration_s`` long.

    ``offset_s`` defaults to the ref's own.
    """
    if ref.in_memory:
        return resample(ref.samples, ref.sample_rate, sr).astype(np.float32, copy=False)
    offset_s = ref.offset_s if offset_s is None else offset_s
    try:
        data, file_notes = read_mono(scene.resolve(ref.path), sr, max_duration_s=offset_s + scene.duration_s)
    except See2SoundError as exc:
        raise See2SoundError(f"{where}: {exc}") from None
    notes.extend(file_notes)
    return data


#: Files longer than this, mono, at the render's rate and played once, are read as needed.
STREAM_AFTER_S = 60.0
#: Decoded sounds are held in memory up to this many bytes in all; further ones go to temporary files.
SOUNDS_IN_MEMORY_BYTES = 256 * 1024 * 1024


def _streamable(path, sr: int, loop: bool) -> bool:
    import soundfile as sf

    if loop:
        return False
    try:
        info = sf.info(str(path))
    except Exception:
        return False  # read_mono will say what is wrong
    return info.samplerate == sr and info.channels == 1 and info.frames > STREAM_AFTER_S * sr


def _travel_delay(distance_m: Callable[[np.ndarray], np.ndarray], sr: int) -> Callable[[np.ndarray], np.ndarray]:
    """Delay in samples of sound heard at sample time t: t - tau, where tau + d(tau) / c = t.

    The distance is the one at emission time; a few fixed-point steps solve it
    (each shrinks the error by v / c), which gives the exact Doppler shift f / (1 - v/c).
    """
    def delay(t: np.ndarray) -> np.ndarray:
        tau = t - distance_m(t) / SPEED_OF_SOUND_M_S * sr
        for _ in range(3):
            tau = t - distance_m(tau) / SPEED_OF_SOUND_M_S * sr
        return t - tau
    return delay


def _smooth(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """Evaluate ``fn`` on a coarse grid of sample times and interpolate between."""
    def at(t: np.ndarray) -> np.ndarray:
        lo = math.floor(t[0] / CONTROL_STEP) * CONTROL_STEP
        grid = np.arange(lo, t[-1] + 2 * CONTROL_STEP, CONTROL_STEP, dtype=np.float64)
        return np.interp(t, grid, fn(grid))
    return at


class _Plan:
    """The virtual sources of one render and the buses they feed."""

    def __init__(self, options: RenderOptions, hrtf: HRTF | None, room: Room | None, near: bool = False):
        self.options = options
        self.sr = options.sample_rate
        self.output = options.output
        self.hrtf = hrtf
        self.room = room
        lead = (hrtf.length if self.output.is_binaural else 2 * LEAD_IN_SAMPLES)
        if near and self.output.is_binaural:  # the near-field delays and the spread of its responses
            lead += hrtf.near_field.max_delay_samples(self.sr) + LEAD_IN_SAMPLES
        n_fft = max(MIN_FFT, int(2 ** math.ceil(math.log2(2 * lead))))
        self.channels = self.output.channels
        self.engine = BlockEngine(self.channels, n_fft, n_fft - lead)
        #: Air absorption and the lead-in delay that keeps it causal, for panned sources.
        self.air_bank = FilterBank.flat(n_fft, self.sr)
        self.direct: list[VirtualSource] = []
        self.reflections: list[VirtualSource] = []
        self.reverb_sends: list[Signal] = []
        self.layout = self.output.layout

    # --- how a direction reaches the output ---------------------------------

    def _pan(self, directions: np.ndarray) -> np.ndarray:
        if self.output.is_ambisonic:
            return ambisonics.encode_gains(directions, self.output.ambisonic_order)
        return vbap_gains(self.layout, directions)

    def _direct_source(self, signal: Signal, path: Path, scale: float, air: bool) -> VirtualSource:
        sr = self.sr

        def steer_hrtf(t):
            directions, distances = path.at(t / sr)
            if self.hrtf.near_field is None:
                return self.hrtf.steering(directions, distance_gain(distances) * scale, distances if air else None)
            return self.hrtf.steering(directions, distance_gain(distances, NEAREST_M) * scale,
                                      distances if air else None, near_m=distances)

        def gains(t):
            directions, distances = path.at(t / sr)
            return self._pan(directions) * (distance_gain(distances) * scale)[:, None]

        def steer_air(t):
            _, distances = path.at(t / sr)
            ones = np.ones((len(t), 1), dtype=np.float32)
            return Steering(np.zeros((len(t), 1), dtype=np.int32), ones, np.full((len(t), 1), float(LEAD_IN_SAMPLES)),
                            distances.astype(np.float32))

        if self.output.is_binaural:
            return VirtualSource(signal, filters=Steered(self.hrtf.bank(self.engine.n_fft), steer_hrtf),
                                 still=path.is_still)
        if air and np.max(path.distances_m) * air_absorption_db(10000.0) >= AUDIBLE_AIR_DB:
            return VirtualSource(signal, gains=gains, prefilter=Steered(self.air_bank, steer_air), still=path.is_still)
        return VirtualSource(signal, gains=gains, still=path.is_still)

    # --- building the plan --------------------------------------------------

    def add_source(self, source: Source, clip: Clip, notes: list[str]) -> None:
        path = Path.of(source)
        sr = self.sr
        if self.options.doppler:
            travel = _travel_delay(lambda t: path.at(t / sr)[1], sr)
            direct_signal: Signal = Delayed(clip, _smooth(travel))
        else:
            direct_signal = clip
        for signal, sub_path, scale in self._spread(direct_signal, path, source.spread_deg, seed=_seed(source.id)):
            self.direct.append(self._direct_source(signal, sub_path, scale, air=True))
        if self.room is not None:
            self._add_reflections(clip, path)
            if self.room.size_m is not None:
                self.reverb_sends.append(clip)

    def add_ambience(self, clip: Clip) -> None:
        """A diffuse bed all around, at the level of a source 1 m away, without room."""
        path = Path(np.zeros(1), np.array([[1.0, 0.0, 0.0]]), np.ones(1))
        for signal, sub_path, scale in self._spread(clip, path, 360.0, seed=_seed("<ambience>")):
            self.direct.append(self._direct_source(signal, sub_path, scale, air=False))

    def _spread(self, signal: Signal, path: Path, spread_deg: float, seed: int):
        """(signal, path, gain) for each decorrelated copy across the source's arc."""
        if spread_deg <= 0.0:
            return [(signal, path, 1.0)]
        full = spread_deg >= 360.0
        count = int(np.clip(math.ceil(spread_deg / SPREAD_STEP_DEG) + (0 if full else 1), 3, 12))
        offsets = (np.arange(count) * 360.0 / count if full
                   else np.linspace(-spread_deg / 2, spread_deg / 2, count))
        scale = 1.0 / math.sqrt(count)
        return [(Decorrelated(signal, self.sr, seed + k) if k else signal, path.rotated(off), scale)
                for k, off in enumerate(offsets)]

    def _add_reflections(self, clip: Clip, path: Path) -> None:
        sr = self.sr
        room = self.room
        count = 1 if room.size_m is None else 6
        to_foa = self.output.is_binaural
        pan = ambisonics.encode_gains if to_foa else self._pan

        for m in range(count):
            def geometry(t, m=m):
                directions, distances = path.at(t / sr)
                img_dirs, img_dist, refl = image_sources(room, directions, distances)
                return img_dirs[:, m], img_dist[:, m], refl[:, m], distances

            def relative_delay(t, geometry=geometry):
                _, img_dist, _, distances = geometry(t)
                return (img_dist - distances) / SPEED_OF_SOUND_M_S * sr

            delay = _travel_delay(lambda t, g=geometry: g(t)[1], sr) if self.options.doppler else relative_delay

            def gains(t, geometry=geometry):
                img_dirs, img_dist, refl, _ = geometry(t)
                return pan(img_dirs) * (refl * distance_gain(img_dist))[:, None]

            self.reflections.append(VirtualSource(Delayed(clip, _smooth(delay)), gains=gains, still=path.is_still))

    # --- rendering ----------------------------------------------------------

    def _room_filters(self):
        """(decoder for the FOA reflections bus or None, OverlapAdd for the tail or None)."""
        decoder_irs = ambisonics.binaural_decoder(self.hrtf) if self.output.is_binaural else None
        decoder = OverlapAdd(decoder_irs) if decoder_irs is not None and self.reflections else None
        if not self.reverb_sends:
            return decoder, None
        order = self.output.ambisonic_order if self.output.is_ambisonic else 1
        tail = diffuse_tail(self.room, self.sr, order=order)
        if self.output.is_binaural:
            from scipy import signal as sps

            tail = np.stack([sps.oaconvolve(tail, decoder_irs[:, ear], axes=-1).sum(0) for ear in range(2)])
        elif not self.output.is_ambisonic:
            # Independent decays per loudspeaker: the same envelope, uncorrelated fine structure.
            speakers = self.layout.speakers
            noise = np.concatenate([diffuse_tail_foa(self.room, self.sr, seed=k + 1)[:1]
                                    for k in range(len(speakers))])
            tail = np.zeros((self.channels, noise.shape[-1]), dtype=np.float32)
            tail[speakers] = noise / math.sqrt(len(speakers))
        return decoder, OverlapAdd(tail[None].astype(np.float32))

    def run(self, out: np.ndarray, progress: Progress | None) -> None:
        n = out.shape[-1]
        B = self.engine.block
        n_blocks = math.ceil(n / B)
        decoder, tail = self._room_filters()
        foa_engine = BlockEngine(4, self.engine.n_fft, B) if decoder is not None else None
        lfe = None
        if self.options.lfe and self.layout is not None and self.layout.lfe_index is not None:
            from scipy import signal as sps

            lfe_sos = sps.butter(4, LFE_CUTOFF_HZ, fs=self.sr, output="sos")
            lfe = [lfe_sos, np.zeros((lfe_sos.shape[0], 2))]
        main_sources = self.direct + ([] if foa_engine is not None else self.reflections)
        fade = max(1, int(RENDER_EDGE_FADE_S * self.sr))
        # Panning holds every source's samples for a chunk: fewer blocks a chunk when there are many.
        per_block = max(len(main_sources), len(self.reflections), 1) * B * 4
        chunk = int(np.clip(CHUNK_BYTES // per_block, 1, BLOCKS_PER_CHUNK))
        for b0 in range(0, n_blocks, chunk):
            nb = min(chunk, n_blocks - b0)
            t0 = b0 * B
            y = self.engine.render(main_sources, b0, nb)
            if foa_engine is not None:
                y += decoder.process(foa_engine.render(self.reflections, b0, nb))
            if tail is not None:
                send = sum(s.samples(t0, t0 + nb * B) for s in self.reverb_sends)
                y += tail.process(send[None])
            if lfe is not None:
                speakers = self.layout.speakers
                mono = y[speakers].sum(0) / math.sqrt(len(speakers))
                y[self.layout.lfe_index], lfe[1] = sps.sosfilt(lfe[0], mono, zi=lfe[1])
            t1 = min(n, t0 + nb * B)
            y = y[:, : t1 - t0]
            _edge_fade(y, t0, n, fade)
            out[:, t0:t1] = y
            if progress is not None:
                progress(t1 / n)


def _edge_fade(y: np.ndarray, t0: int, n: int, fade: int) -> None:
    """Fade the first and last ``fade`` samples of the whole render (cos^2), in place."""
    if fade <= t0 and t0 + y.shape[-1] <= n - fade:
        return
    t = np.arange(t0, t0 + y.shape[-1])
    ramp = np.minimum(np.minimum(t, n - 1 - t) / fade, 1.0)
    y *= (np.sin(0.5 * np.pi * ramp) ** 2).astype(np.float32)


def _seed(text: str) -> int:
    """A stable seed from the whole of a string (Python's hash() changes between runs)."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little") % (2 ** 31)


def measure_loudness(audio: np.ndarray, options: RenderOptions, hrtf: HRTF | None) -> float:
    """Integrated loudness (LUFS) of a render, measured as its format says (channels or a binaural decode)."""
    output, sr = options.output, options.sample_rate
    if output.loudness_on == "binaural decode":
        hrtf = hrtf or HRTF.load(options.hrtf, sr)
        decoder = OverlapAdd(ambisonics.binaural_decoder(hrtf, output.ambisonic_order))
        meter = loudness.LoudnessMeter(sr, 2)
        for start in range(0, audio.shape[-1], loudness.CHUNK):
            meter.feed(decoder.process(np.asarray(audio[:, start:start + loudness.CHUNK])))
        return meter.result()
    weights = output.loudness_weights
    return loudness.integrated_loudness(
        audio, sr, weights and loudness.channel_weights(weights, output.layout.elevations_deg))


def master(audio: np.ndarray, options: RenderOptions, report: RenderReport) -> None:
    """The mastering stage, in place: loudness to target, true peak under the ceiling.

    Fills in the report's measured loudness and true peak. With neither a
    loudness target nor a limiter (``loudness_lufs=None``,
    ``true_peak_dbtp=None``) nothing is done or measured: the audio is left as
    rendered and the report says so (``loudness_lufs`` and ``true_peak_dbtp`` None).
    """
    if options.loudness_lufs is None and options.true_peak_dbtp is None:
        report.loudness_lufs = report.true_peak_dbtp = None
        report.measured_on = NOT_MEASURED
        return
    decoded = options.output.loudness_on == "binaural decode"
    hrtf = HRTF.load(options.hrtf, options.sample_rate) if decoded else None
    if decoded:
        decoder = ambisonics.decoder_description(options.output.ambisonic_order)
        report.measured_on = f"binaural decode of the {options.format} output ({decoder})"
    sr, ceiling = options.sample_rate, options.true_peak_dbtp

    def limit() -> None:
        if ceiling is not None:
            reduction = loudness.limit_true_peak(audio, sr, ceiling - 0.05)
            report.limiter_db = max(report.limiter_db, reduction)

    measured = measure_loudness(audio, options, hrtf)
    if options.loudness_lufs is not None and not math.isfinite(measured):
        report.notes.append("output is silent: loudness not normalised")
    elif options.loudness_lufs is not None:
        gain_db = options.loudness_lufs - measured
        for _ in range(3):  # limiting lowers loudness; make it up, at most thrice
            _scale(audio, 10.0 ** (gain_db / 20.0))
            report.gain_db += gain_db
            limit()
            measured = measure_loudness(audio, options, hrtf)
            gain_db = options.loudness_lufs - measured
            if report.limiter_db == 0.0 or gain_db < 0.1:
                break
    else:
        limit()
        if report.limiter_db > 0.0:
            measured = measure_loudness(audio, options, hrtf)
    report.loudness_lufs = measured
    report.true_peak_dbtp = loudness.true_peak_dbtp(audio)


def _scale(audio: np.ndarray, gain: float) -> None:
    for start in range(0, audio.shape[-1], loudness.CHUNK):
        audio[:, start:start + loudness.CHUNK] *= np.float32(gain)
