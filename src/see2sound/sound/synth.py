"""Procedural sounds for common sources that the library lacks.

Each model is a small parametric generator: ``model(n, sample_rate, rng)``
returns ``n`` float32 samples, seeded by ``rng`` (numpy Generator), at any
length (no looping), roughly at -20 LUFS. They are physical caricatures,
not recordings: the README reports which ones an independent AudioSet tagger
(YAMNet) recognises.

Models (``MODELS``; name -> labels, AudioSet names):

- engines: ``car-engine``, ``bus-engine``, ``truck-engine``, ``motorcycle-engine``
  (firing pulses through an exhaust resonance, rpm wandering, tyre noise);
  ``train`` (rumble and wheel clacks at rail joints); ``jet-aircraft``,
  ``propeller-aircraft``; ``helicopter`` (blade slaps 15-25 a second, tail
  rotor, turbine); ``motorboat``; ``traffic`` (distant passing cars)
- household: ``clock`` (an escapement's tick-tock), ``phone-ring`` (two-tone
  bell trill), ``typing`` (keystrokes of three clicks and a release, in words),
  ``hum`` (50 Hz mains and harmonics), ``fan`` (blade tone and air noise)
- water: ``tap``, ``stream``, ``waves``, ``rain``; air: ``wind`` (gusts,
  aeolian whistle, microphone buffeting); ``fire``
- life: ``birdsong``, ``crickets``, ``footsteps``, ``cat`` (meows), ``dog``
  (barks), ``small-dog`` and ``large-dog`` (the same, pitched by :data:`DOG_PITCH`)
- people: ``voice`` (one talker), ``conversation`` (two taking turns),
  ``crowd`` (babble of 16 raised voices in a hall), ``children`` (children
  playing), ``applause``; all speech is one source-filter model
  (:func:`_speech_spectrum`: Rosenberg glottal pulses with jitter and shimmer,
  phrase intonation, a Klatt formant cascade, frication and bursts, laughter)
- ``bells``: change ringing or a tolling bell (church-bell partials, modal synthesis)

Models with no labels (``conversation``, ``children``, ``helicopter``,
``bells``) serve no vocabulary label (the detectors know none): they are
chosen by their AudioSet classes or by name.

A model with a ``size`` is for sources of that size class only (the scene's
``sound.size``, written by the label refinement; a source without one is medium).

Contents
--------
MODELS, SynthModel, DOG_PITCH, synthesize, synthesized
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .ranged import Samples, Timeline

Generator = Callable[[int, int, np.random.Generator], np.ndarray]


# --- building blocks ----------------------------------------------------------
# scipy.signal and scipy.fft are imported when a model first runs, not with this module (SPEC §5's
# API imports quickly); ``from scipy.signal import f`` after the first time is a dictionary look-up.

def _sosfilt(sos, x):
    """``x`` [shape=(..., n)] through second-order sections, along the last axis."""
    from scipy.signal import sosfilt

    return sosfilt(sos, x, axis=-1)


def _lfilter(b, a, x):
    from scipy.signal import lfilter

    return lfilter(b, a, x)


@functools.lru_cache(maxsize=512)
def _butter(order, corners, kind, sr):
    """A Butterworth design as second-order sections, cached: models reuse the same few many times."""
    from scipy.signal import butter

    return butter(order, corners, kind, fs=sr, output="sos")


@functools.lru_cache(maxsize=512)
def _peak(freq, q, sr):
    """A second-order peaking resonator's (b, a), cached like :func:`_butter`."""
    from scipy.signal import iirpeak

    return iirpeak(freq, q, fs=sr)


def _bp(x, lo, hi, sr, order=2):
    """Band-pass along the last axis: ``x`` may hold one signal or a batch of them [shape=(k, n)]."""
    return _sosfilt(_butter(order, (float(lo), float(min(hi, 0.45 * sr))), "bandpass", sr), x)


def _lp(x, fc, sr, order=2):
    return _sosfilt(_butter(order, float(min(fc, 0.45 * sr)), "lowpass", sr), x)


def _hp(x, fc, sr, order=2):
    return _sosfilt(_butter(order, float(fc), "highpass", sr), x)


def _pink(n, rng):
    """1/f noise by filtering white noise (Kellet's coefficients)."""
    b = [0.049922035, -0.095993537, 0.050612699, -0.004408786]
    a = [1, -2.494956002, 2.017265875, -0.522189400]
    return _lfilter(b, a, rng.standard_normal(n)) * 4.0


def _brown(n, rng):
    x = np.cumsum(rng.standard_normal(n))
    return _hp(x, 20.0, 8000) * 0.02  # the sample rate only matters for the DC block's corner


def _wander(n, sr, rng, rate_hz, depth):
    """A slowly wandering multiplier around 1 (smoothed random walk)."""
    k = max(2, int(n / sr * rate_hz) + 2)
    points = 1.0 + depth * rng.uniform(-1, 1, k)
    return np.interp(np.linspace(0, k - 1, n), np.arange(k), points)


def _events(n, sr, rng, rate_hz, min_gap_s=0.0):
    """Sample indices of a Poisson process with a minimum gap."""
    times, t = [], rng.exponential(1.0 / rate_hz)
    while t * sr < n:
        times.append(int(t * sr))
        t += min_gap_s + rng.exponential(1.0 / rate_hz)
    return times


def _place(out, burst, at, gain=1.0):
    end = min(len(out), at + len(burst))
    if end > at:
        out[at:end] += gain * burst[: end - at]


def _place_all(n, bursts, at, gains=None):
    """Bursts [shape=(k, m)] added at samples ``at`` [shape=(k,)] times ``gains``, cut at ``n`` [shape=(n,)].

    The same samples as :func:`_place` called for each burst in order on
    zeros (each sample sums its bursts in that order), in one pass: events
    are many (rain has 400 drops a second), and a call each cost more than
    the drop.
    """
    bursts = np.asarray(bursts, dtype=np.float64)
    if len(bursts) == 0:
        return np.zeros(n)
    values = bursts if gains is None else np.asarray(gains, dtype=np.float64)[:, None] * bursts
    index = np.asarray(at, dtype=np.int64)[:, None] + np.arange(bursts.shape[1])
    keep = index < n
    return np.bincount(index[keep], weights=values[keep], minlength=n)


def _noises(rng, count, m, *then):
    """``count`` rows of white noise [shape=(count, m)], drawn in the order a loop of :func:`_burst` calls
    draws them: each row, then one draw of each of ``then`` (functions of ``rng``), whose results come back
    as arrays [shape=(count,)] after the rows. Keeps a model's samples when its events are made at once."""
    rows = np.empty((count, m))
    drawn = np.empty((len(then), count))
    for i in range(count):
        rng.standard_normal(out=rows[i])
        for j, draw in enumerate(then):
            drawn[j, i] = draw(rng)
    return (rows, *drawn)


def _bursts(noise, lo, hi, sr, decay_s):
    """Band-passed noise bursts [shape=(k, m)], each decaying with its own ``decay_s`` (a number or [shape=(k,)])."""
    if len(noise) == 0:
        return noise
    m = noise.shape[-1]
    env = np.exp(-np.arange(m) / (np.asarray(decay_s, dtype=np.float64)[..., None] * sr))
    return _bp(noise, lo, hi, sr) * env


def _burst(sr, rng, dur_s, lo, hi, decay_s):
    m = max(2, int(dur_s * sr))
    env = np.exp(-np.arange(m) / (decay_s * sr))
    return _bp(rng.standard_normal(m), lo, hi, sr) * env


def _pulse_train(n, sr, freq_hz, jitter=0.0, rng=None):
    """Unit impulses at a (possibly varying) rate; freq_hz may be an array."""
    freq = np.broadcast_to(np.asarray(freq_hz, dtype=np.float64), (n,))
    phase = np.cumsum(freq / sr)
    if jitter and rng is not None:
        phase = phase + jitter * _lp(rng.standard_normal(n), 5.0, sr)
    out = np.zeros(n)
    out[1:][np.diff(np.floor(phase)) > 0] = 1.0
    return out


def _resonate(x, freq, q, sr):
    b, a = _peak(float(min(freq, 0.45 * sr)), float(q), sr)
    return _lfilter(b, a, x)


def _tone(n, sr, freq, phase=0.0):
    freq = np.broadcast_to(np.asarray(freq, dtype=np.float64), (n,))
    return np.sin(2 * np.pi * np.cumsum(freq) / sr + phase)


# --- speech: a source-filter model ---------------------------------------------

#: Vowel formants F1, F2, F3 in Hz of adult men (Peterson & Barney 1952, their averages):
#: i, ɪ, ɛ, æ, ɑ, ɔ, ʊ, u, ʌ, ɝ.
_VOWEL_FORMANTS = np.array([[270, 2290, 3010], [390, 1990, 2550], [530, 1840, 2480], [660, 1720, 2410],
                            [730, 1090, 2440], [570, 840, 2410], [440, 1020, 2240], [300, 870, 2240],
                            [640, 1190, 2390], [490, 1350, 1690]], dtype=np.float64)
#: Onset consonants: (kind, F2 locus Hz, noise centre Hz, noise bandwidth Hz); loci after Delattre et al. (1955).
_CONSONANTS = (("plosive", 900, 800, 1500), ("plosive", 1800, 4000, 3000), ("plosive", 2300, 2000, 1000),
               ("fricative", 1800, 6000, 3000), ("fricative", 2100, 3200, 1500), ("fricative", 1200, 5000, 6000),
               ("h", 1500, 0, 0), ("nasal", 1000, 0, 0), ("nasal", 1700, 0, 0), ("liquid", 1200, 0, 0))
#: Speech is made at 16 kHz (YAMNet's rate, and enough for voices) in 32 ms frames, 8 ms apart, then resampled.
SPEECH_RATE, _SIZE, _HOP = 16000, 512, 128


@functools.lru_cache(maxsize=4)
def _hann(size):
    return np.hanning(size + 1)[:-1].astype(np.float32)


def _stft(x, size=_SIZE, hop=_HOP):
    pad = np.concatenate([np.zeros(size), x, np.zeros(size)])
    count = (len(pad) - size) // hop + 1
    frames = np.lib.stride_tricks.sliding_window_view(pad, size)[::hop][:count]
    from scipy import fft

    return fft.rfft(frames * _hann(size), axis=1)


def _istft(spec, n, size=_SIZE, hop=_HOP):
    from scipy import fft

    window = _hann(size)
    chunks = (fft.irfft(spec, size, axis=1) * window).reshape(len(spec), size // hop, hop)
    out = np.zeros((len(spec) + size // hop, hop))
    for c in range(size // hop):
        out[c:c + len(spec)] += chunks[:, c]
    return out.reshape(-1)[size:size + n] / (np.sum(window ** 2) / hop)


def _from_speech_rate(x, n, sr, air=None, rng=None):
    """Speech made at :data:`SPEECH_RATE` resampled to ``sr`` and cut to ``n`` samples. ``air``: the level
    per frame of the 6-8 kHz band (from :func:`_speak`); above 8 kHz, which the 16 kHz model cannot hold,
    speech goes on with that noise (sibilance, breath), falling 6 dB an octave, when ``sr`` has room."""
    from ..io.audio import resample

    y = resample(x, SPEECH_RATE, sr)
    y = np.pad(y, (0, max(0, n - len(y))))[:n]
    if air is not None and sr > 2 * 8500:
        level = np.interp(np.arange(n) / sr, (np.arange(len(air)) * _HOP - _SIZE) / SPEECH_RATE, air)
        band = _lp(_hp(rng.standard_normal(n), 8000.0, sr, order=4), 8000.0, sr, order=1)
        y = y + band * level * np.sqrt(sr / SPEECH_RATE)
    return y


@functools.lru_cache(maxsize=4)
def _rosenberg(open_quotient, size=2048):
    """One period of glottal flow derivative, tabulated: Rosenberg's (1971) trigonometric pulse, rising for
    65 % of the open phase and closing in the rest."""
    frac = np.arange(size) / size
    rise = 0.65 * open_quotient
    flow = np.where(frac < rise, 0.5 - 0.5 * np.cos(np.pi * frac / rise),
                    np.where(frac < open_quotient, np.cos(0.5 * np.pi * np.minimum(frac - rise, open_quotient - rise)
                                                          / (open_quotient - rise)), 0.0))
    return (np.diff(flow, append=flow[0]) * size).astype(np.float32)


def _glottal(f0, sr, rng, *, jitter=0.01, shimmer=0.1, open_quotient=0.6):
    """Glottal flow derivative [shape=(n,)] for an f0 track in Hz [shape=(n,)]: Rosenberg pulses,
    the period jittered and each cycle's amplitude shimmered at random."""
    n = len(f0)
    phase = np.cumsum((f0 * _wander(n, sr, rng, 80.0, jitter) if jitter else f0) / sr)
    cycle = phase.astype(np.int64)
    table = _rosenberg(open_quotient)
    gains = (1.0 + shimmer * rng.standard_normal(cycle[-1] + 2)).astype(np.float32)
    return table[((phase - cycle) * len(table)).astype(np.int64)] * gains[cycle] * (f0 / sr).astype(np.float32)


def _plan_laugh(key, t, rng, *, f0, tract):
    """A bout of laughter from ``t``: breathy "ha" pulses about 5 a second, high and falling
    (Bachorowski et al. 2001: f0 well above speech, an aspirated onset to each call); returns its end."""
    calls = int(rng.integers(3, 9))
    vowel = _VOWEL_FORMANTS[rng.choice([4, 8, 3])] * tract
    top = f0 * rng.uniform(1.5, 2.0)
    key(t, vowel, 0.0, 0.0, 0.0, 0.0, top)
    for k in range(calls):
        period = rng.uniform(0.17, 0.23)
        pitch = top * (1.0 - 0.35 * k / calls)
        level = 1.0 - 0.5 * k / calls
        key(t + 0.02, vowel, 0.0, 0.5 * level, 0.0, 0.0, pitch)
        key(t + 0.07, vowel, level, 0.15 * level, 0.0, 0.0, pitch * 1.05)
        key(t + 0.6 * period, vowel, 0.8 * level, 0.1 * level, 0.0, 0.0, pitch * 0.95)
        key(t + 0.9 * period, vowel, 0.0, 0.05, 0.0, 0.0, pitch)
        t += period
    key(t + 0.1, vowel, 0.0, 0.3, 0.0, 0.0, f0)  # the in-breath after
    key(t + 0.35, vowel, 0.0, 0.0, 0.0, 0.0, f0)
    return t + rng.uniform(0.4, 1.0)


def _plan_speech(frames, hop, sr, rng, *, f0, rate_hz, tract, excite=0.0, laugh=0.0):
    """Control tracks per frame, as key points joined by straight lines: formants F1-F3 [shape=(frames, 3)],
    then voicing and noise amplitudes, the noise's centre and width in Hz and f0 in Hz [shape=(frames,)].

    Phrases of 3-11 syllables at ``rate_hz`` (declining or, a quarter of the time, rising pitch; stressed
    syllables carry a pitch accent), each an optional onset consonant (plosive: closure, burst,
    aspiration; fricative; /h/; nasal or liquid) moving F2 from its locus to the vowel, then a vowel
    gliding towards another; pauses between phrases. ``excite``: share of shouted phrases; ``laugh``:
    share of laughter bouts (:func:`_plan_laugh`)."""
    t_frame = hop / sr
    keys_t, keys_f, keys_av, keys_an, keys_fc, keys_bw, keys_f0 = [], [], [], [], [], [], []

    def key(t, formants, av, an, fc=3000.0, bw=2000.0, pitch=None):
        keys_t.append(t)
        keys_f.append(formants)
        keys_av.append(av)
        keys_an.append(an)
        keys_fc.append(fc)
        keys_bw.append(bw)
        keys_f0.append(pitch if pitch is not None else (keys_f0[-1] if keys_f0 else f0))

    total = frames * t_frame
    neutral = np.array([500.0, 1500.0, 2500.0])
    t = rng.uniform(0.0, 0.6)
    key(0.0, neutral, 0.0, 0.0, pitch=f0)
    while t < total:
        if rng.random() < laugh:
            t = _plan_laugh(key, t, rng, f0=f0, tract=tract)
            continue
        count = int(rng.integers(3, 12))
        rising = rng.random() < 0.25  # a question, or a continuation
        shout = rng.random() < excite
        key(t, neutral, 0.0, 0.0)
        for k in range(count):
            syllable = rng.uniform(0.7, 1.3) / rate_hz
            stress = 1.0 if (k == 0 or rng.random() < 0.3) else rng.uniform(0.45, 0.75)
            progress = k / max(1, count - 1)
            contour = 1.15 - 0.3 * progress if not rising else 1.0 + (0.35 * progress ** 3 if k > count - 3 else -0.05 * progress)
            pitch = f0 * contour * (1.0 + 0.12 * (stress - 0.7)) * (1.3 if shout else 1.0)
            vowel = _VOWEL_FORMANTS[rng.integers(len(_VOWEL_FORMANTS))] * tract
            kind, locus, fc, bw = _CONSONANTS[rng.integers(len(_CONSONANTS))] if rng.random() < 0.8 else ("none", 0, 0, 0)
            onset = np.array([250.0, locus, vowel[2]]) * (tract if locus else 1.0)
            c = syllable * rng.uniform(0.25, 0.4)
            if kind == "plosive":  # closure (silence), burst, aspiration, then the vowel
                key(t, onset, 0.05, 0.0, fc, bw, pitch)
                key(t + 0.55 * c, onset, 0.0, 0.0, fc, bw, pitch)
                key(t + 0.6 * c, onset, 0.0, 1.2 * stress, fc, bw, pitch)
                key(t + 0.75 * c, onset, 0.0, 0.3 * stress, fc, bw, pitch)
            elif kind == "fricative":
                key(t + 0.1 * c, onset, 0.05, 0.5 * stress, fc, bw, pitch)
                key(t + 0.8 * c, onset, 0.1, 0.5 * stress, fc, bw, pitch)
            elif kind == "h":
                key(t + 0.2 * c, vowel, 0.0, 0.35 * stress, 0.0, 0.0, pitch)
            elif kind in ("nasal", "liquid"):
                weak = np.array([280.0, locus, 2500.0]) * tract
                key(t + 0.2 * c, weak, 0.25 * stress, 0.0, pitch=pitch)
                key(t + 0.8 * c, weak, 0.3 * stress, 0.0, pitch=pitch)
            else:
                c = 0.3 * c
            glide = _VOWEL_FORMANTS[rng.integers(len(_VOWEL_FORMANTS))] * tract
            accent = 1.0 + (0.15 * rng.random() if stress == 1.0 else 0.0)  # a pitch accent rises and falls
            key(t + c + 0.03, vowel, 0.9 * stress, 0.0, pitch=pitch * 1.02)
            key(t + c + 0.4 * (syllable - c), 0.6 * vowel + 0.4 * glide, stress, 0.0, pitch=pitch * accent)
            key(t + 0.95 * syllable, 0.4 * vowel + 0.6 * glide, 0.4 * stress, 0.0, pitch=pitch * 0.93)
            t += syllable * (1.6 if shout and k == count - 1 else 1.0)
        key(t + 0.05, neutral, 0.0, 0.0)
        t += rng.uniform(0.25, 0.9) if rng.random() < 0.8 else rng.uniform(1.0, 2.0)  # a breath, or a listener's turn
    times = np.arange(frames) * t_frame
    keys_t = np.maximum.accumulate(np.asarray(keys_t))
    formants = np.stack([np.interp(times, keys_t, [f[i] for f in keys_f]) for i in range(3)], axis=1)
    return (formants, *(np.interp(times, keys_t, values) for values in (keys_av, keys_an, keys_fc, keys_bw, keys_f0)))


def _speech_spectrum(n, rng, *, f0, rate_hz=4.5, tract=1.0, breath=0.03, excite=0.0, laugh=0.0, open_quotient=0.6):
    """One talker at :data:`SPEECH_RATE`, ``n`` samples: a glottal source through a cascade of formant
    resonators (Klatt 1980), with frication, bursts and breath.

    Returns the voiced STFT [shape=(frames, 257), complex] and the amplitude spectrum of the noise
    [shape=(frames, 257)]; :func:`_speak` sums talkers and draws the noise once (independent Gaussian
    noises add in power).
    """
    sr = SPEECH_RATE
    frames = (n + _SIZE) // _HOP + 1
    formants, av, an, fc, bw, pitch = _plan_speech(frames, _HOP, sr, rng, f0=f0, rate_hz=rate_hz, tract=tract,
                                                   excite=excite, laugh=laugh)
    # Microprosody (never a held note) and jitter (period to period, ~1 %), at the frame rate.
    frame_rate = sr / _HOP
    pitch = pitch * _wander(frames, frame_rate, rng, 6.0, 0.04) * (1 + 0.01 * rng.standard_normal(frames))
    f0_track = np.interp(np.arange(n) / sr, np.arange(frames) / frame_rate - _SIZE / sr, pitch)
    glottal = _glottal(f0_track, sr, rng, jitter=0.0, open_quotient=open_quotient)
    source = _stft((glottal / (glottal.std() + 1e-12)).astype(np.float32))
    f2 = (np.fft.rfftfreq(_SIZE, 1.0 / sr) ** 2).astype(np.float32)
    live = np.flatnonzero((av > 1e-3) | (an > 1e-3))  # pauses and closures cost nothing
    # |H|^2 of each resonator: F^4 / ((F^2 - f^2)^2 + (B f)^2), the bandwidth B widening with F;
    # F4 and F5 sit still, F1-F3 move with the articulation.
    power = np.ones((len(live), len(f2)), np.float32) * _fixed_formants(float(tract))
    for k in range(3):
        centre = formants[live, k:k + 1].astype(np.float32)
        denom = centre ** 2 - f2
        denom *= denom
        denom += (50.0 + 0.06 * centre) ** 2 * f2
        power *= centre ** 4 / denom
    tract_gain = np.sqrt(power, out=power)
    av_live, an_live = av[live, None].astype(np.float32), an[live, None].astype(np.float32)
    voiced = np.zeros_like(source)
    voiced[live] = source[live] * (av_live * tract_gain * _RADIATION)
    noise = np.zeros(source.shape, np.float32)
    noise[live] = (breath / 30.0) * av_live * tract_gain
    hiss = an_live[:, 0] > 1e-3
    rows = live[hiss]
    fric = np.exp(-0.5 * ((np.sqrt(f2) - fc[rows, None]) / np.maximum(bw[rows, None], 1.0)) ** 2).astype(np.float32)
    aspirated = bw[rows] <= 0  # "h": noise through the vowel's own resonances
    fric[aspirated] = tract_gain[hiss][aspirated] / tract_gain[hiss][aspirated].max(axis=1, keepdims=True)
    noise[rows] += 1.2 * an_live[hiss] * fric
    return voiced, noise


#: Below 100 Hz the lips radiate little; above 1 kHz a +6 dB/octave shelf stands for the abrupt glottal
#: closure that Rosenberg's smooth pulse lacks (the LF model's return phase), so that the long-term
#: spectrum falls like real speech's (Byrne et al. 1994: about -25 dB at 4 kHz from its 500 Hz peak).
_RADIATION = (np.minimum(1.0, np.fft.rfftfreq(_SIZE, 1.0 / SPEECH_RATE) / 100.0 + 0.05)
              * (1.0 + (np.fft.rfftfreq(_SIZE, 1.0 / SPEECH_RATE) / 700.0) ** 2)).astype(np.float32)


@functools.lru_cache(maxsize=8)
def _fixed_formants(tract):
    f2 = np.fft.rfftfreq(_SIZE, 1.0 / SPEECH_RATE) ** 2
    power = np.ones(len(f2))
    for centre in np.array([3500.0, 4500.0]) * tract:
        power *= centre ** 4 / ((centre ** 2 - f2) ** 2 + (50.0 + 0.06 * centre) ** 2 * f2)
    return power.astype(np.float32)


def _speak(talkers, n, sr, rng):
    """Talkers ``[(gain, voiced, noise), ...]`` from :func:`_speech_spectrum`, summed: the signal at
    :data:`SPEECH_RATE` and the level per frame of its 6-8 kHz band (for :func:`_from_speech_rate`)."""
    m = int(np.ceil(n * SPEECH_RATE / sr))
    voiced = sum(g * v for g, v, _ in talkers)
    noise_amp = np.sqrt(sum((g * a) ** 2 for g, _, a in talkers)) * np.float32(np.sqrt(_SIZE) / 4)
    shape = noise_amp.shape
    white = rng.standard_normal(shape, np.float32) + 1j * rng.standard_normal(shape, np.float32)
    out = _istft(voiced + white * noise_amp, m)
    top = slice(int(6000 / SPEECH_RATE * _SIZE), None)
    air = np.sqrt(np.mean(np.abs(voiced[:, top]) ** 2 + 2 * noise_amp[:, top] ** 2, axis=1) / np.sum(_hann(_SIZE) ** 2))
    return out, air


def _modes(sr, freqs, decays_s, gains, dur_s, rng=None, detune=0.0):
    """A struck object [shape=(m,)]: damped sinusoids (modal synthesis), one per mode."""
    m = max(2, int(dur_s * sr))
    t = (np.arange(m, dtype=np.float32) / np.float32(sr))[:, None]
    freqs = np.asarray(freqs, dtype=np.float64)
    if rng is not None and detune:
        freqs = freqs * (1 + detune * rng.standard_normal(len(freqs)))
    phase = 0.0 if rng is None else rng.uniform(0, 2 * np.pi, len(freqs))
    omega = (2 * np.pi * np.minimum(freqs, 0.45 * sr)).astype(np.float32)
    ring = np.sin(omega * t + np.float32(phase) if np.isscalar(phase) else omega * t + phase.astype(np.float32))
    ring *= np.exp(-t / np.asarray(decays_s, dtype=np.float32))
    return (ring @ np.asarray(gains, dtype=np.float32)).astype(np.float64)


def _impulses(n, times_s, gains, sr):
    """Unit impulses [shape=(n,)] at ``times_s`` with ``gains`` (vectorised event placement)."""
    out = np.zeros(n)
    at = (np.asarray(times_s) * sr).astype(np.int64)
    keep = (at >= 0) & (at < n)
    np.add.at(out, at[keep], np.asarray(gains, dtype=np.float64)[keep])
    return out


# --- models -------------------------------------------------------------------

def _engine(n, sr, rng, *, rpm, cylinders, exhaust_hz, diesel, tyres):
    rpm_curve = rpm * _wander(n, sr, rng, 0.3, 0.15)
    firing = rpm_curve / 60.0 * cylinders / 2.0
    pulses = _pulse_train(n, sr, firing, jitter=0.05, rng=rng)
    excitation = _lfilter([1.0], [1.0, -0.97], pulses)  # each firing a decaying pressure pulse
    if diesel:
        excitation += 0.6 * _hp(pulses, 800, sr) * rng.uniform(0.5, 1.0, n)  # injector knock
    body = _resonate(excitation, exhaust_hz, 2.0, sr) + 0.5 * _resonate(excitation, 2.3 * exhaust_hz, 3.0, sr)
    rumble = _lp(rng.standard_normal(n), 300, sr) * 0.3
    out = body + rumble
    if tyres:
        out += 0.25 * _bp(_pink(n, rng), 300, 2000, sr) * _wander(n, sr, rng, 0.2, 0.3)
    return out


def car_engine(n, sr, rng):
    return _engine(n, sr, rng, rpm=1800, cylinders=4, exhaust_hz=140, diesel=False, tyres=True)


def bus_engine(n, sr, rng):
    return _engine(n, sr, rng, rpm=900, cylinders=6, exhaust_hz=90, diesel=True, tyres=True)


def truck_engine(n, sr, rng):
    return _engine(n, sr, rng, rpm=1100, cylinders=6, exhaust_hz=75, diesel=True, tyres=True)


def motorcycle_engine(n, sr, rng):
    # A V-twin: two firings close together, then a gap ("potato-potato"), revving.
    rpm = 2400 * _wander(n, sr, rng, 0.4, 0.35)
    rev = rpm / 60.0
    pulses = _pulse_train(n, sr, rev, jitter=0.03, rng=rng)
    pulses += np.roll(pulses, int(0.3 / (rev.mean() * 2) * sr))
    excitation = _lfilter([1.0], [1.0, -0.985], pulses)
    body = _resonate(excitation, 160, 1.5, sr) + 0.6 * _resonate(excitation, 420, 2.0, sr)
    return body + 0.15 * _lp(rng.standard_normal(n), 2000, sr) * _wander(n, sr, rng, 0.5, 0.4)

def train(n, sr, rng):
    # Rolling noise of wheels on rails, body rumble, a clickety-clack at the joints, a little squeal.
    rolling = _bp(_pink(n, rng), 300, 3000, sr) * 0.8
    rumble = _lp(_brown(n, rng), 200, sr) * 4.0
    out = (rolling + rumble) * _wander(n, sr, rng, 0.1, 0.15)
    period = rng.uniform(0.9, 1.3)
    at, t = [], 0.2
    while t * sr < n:
        at += [int((t + offset) * sr) for offset in (0.0, 0.11, 0.55, 0.66)]  # two bogies, two axles each
        t += period
    clacks, = _noises(rng, len(at), max(2, int(0.05 * sr)))
    out += _place_all(n, _bursts(clacks, 150, 1500, sr, 0.012) * 1.5, at)  # clacks never overlap
    squeal = 0.03 * _tone(n, sr, 2800 * _wander(n, sr, rng, 0.5, 0.03)) * _wander(n, sr, rng, 0.3, 1.0).clip(0)
    return out + squeal

def jet_aircraft(n, sr, rng):
    # Broadband jet roar peaking low, rising and fading as it passes, with a turbine whine.
    x = np.linspace(0, 1, n)
    swell = np.exp(-((x - rng.uniform(0.4, 0.6)) / 0.35) ** 2)
    roar = _lp(_pink(n, rng), 900, sr, order=1) * (0.3 + swell)
    crackle = 0.15 * _bp(rng.standard_normal(n), 500, 2500, sr) * (0.3 + swell) * _wander(n, sr, rng, 6.0, 0.6)
    whine = 0.05 * _tone(n, sr, 3200 * (1 - 0.05 * (x - 0.5))) * swell
    return roar + crackle + whine + 0.5 * _lp(_brown(n, rng), 120, sr)

def propeller_aircraft(n, sr, rng):
    blade = 2 * 2400 / 60.0 * _wander(n, sr, rng, 0.2, 0.05)  # two blades at 2400 rpm
    buzz = _lfilter([1.0], [1.0, -0.9], _pulse_train(n, sr, blade))
    buzz = _lp(buzz, 1200, sr)
    return buzz + 0.4 * _lp(_pink(n, rng), 1500, sr)


def helicopter(n, sr, rng):
    # Main rotor: 2-5 blades at ~5 rev/s, so a blade passes 15-25 times a second; each pass is an
    # impulsive slap (blade-vortex interaction: a sharp pressure pulse, broadband to ~1 kHz) and it
    # modulates the broadband rotor noise. Tail rotor: ~5x faster, a buzz. Turbine: a whine near
    # 5-7 kHz and a roar. A fly-by: level rises and falls, Doppler bends the rates.
    x = np.linspace(-1.0, 1.0, n)
    centre = rng.uniform(-0.3, 0.3)
    swell = 0.35 + np.exp(-((x - centre) / 0.6) ** 2)
    doppler = 1.0 - 0.04 * np.tanh((x - centre) / 0.3)
    blade_hz = rng.uniform(15, 25) * doppler
    slaps = _lfilter([1.0], [1.0, -0.9], _pulse_train(n, sr, blade_hz, jitter=0.02, rng=rng))
    slaps = _lp(slaps, 1000, sr)
    phase = np.cumsum(blade_hz / sr) % 1.0
    rotor = _bp(_pink(n, rng), 80, 2500, sr) * (0.3 + np.exp(-phase / 0.12))
    tail = _bp(_pulse_train(n, sr, blade_hz * rng.uniform(4.5, 5.5)), 80, 1200, sr)
    whine = _tone(n, sr, rng.uniform(5000, 7000) * doppler)
    return swell * (slaps + 0.8 * rotor + 0.3 * tail + 0.01 * whine) + 0.3 * _lp(_brown(n, rng), 150, sr)


def motorboat(n, sr, rng):
    engine = _engine(n, sr, rng, rpm=4500, cylinders=2, exhaust_hz=180, diesel=False, tyres=False)
    at = _events(n, sr, rng, 3.0)
    noise, gains = _noises(rng, len(at), max(2, int(0.15 * sr)), lambda r: r.uniform(0.5, 1.5))
    slap = _place_all(n, _bursts(noise, 200, 2500, sr, 0.05), at, gains)
    return engine + 0.8 * slap + 0.3 * _bp(_pink(n, rng), 400, 4000, sr)


def traffic(n, sr, rng):
    out = 0.4 * _lp(_brown(n, rng), 200, sr) * 3.0
    for at in _events(n, sr, rng, 0.6):
        length = int(rng.uniform(3.0, 6.0) * sr)
        env = np.hanning(length) ** 2
        car = _bp(_pink(length, rng), 200, rng.uniform(1500, 3000), sr) * env
        _place(out, car, at - length // 2 if at > length // 2 else at, rng.uniform(0.5, 1.2))
    return out


def clock(n, sr, rng):
    # An escapement: each beat a tooth of the escape wheel drops on a pallet and rings the small steel
    # parts (modes at ~1 : 2.3 : 4.1, a few ms); tick and tock fall on different pallets, so they differ.
    # Two beats a second (a pendulum wall clock) or one; a quiet room tone 60 dB under the ticks.
    beat = rng.uniform(0.48, 0.52) if rng.random() < 0.8 else rng.uniform(0.97, 1.03)
    pitch = rng.uniform(2600, 3400)
    decay = rng.uniform(0.0015, 0.0025)

    def strike(f):  # the impact itself (a click) and the ringing it starts
        ring = _modes(sr, f * np.array([1.0, 2.3, 4.1]), [decay, 0.7 * decay, 0.5 * decay], [1.0, 0.6, 0.3], 0.04)
        ring[:2] += np.array([1.0, -1.0]) * rng.uniform(0.3, 0.6) * np.abs(ring).max()
        return ring

    out = np.zeros(n)
    tick, tock = strike(pitch), strike(pitch * rng.uniform(0.65, 0.75))
    for k, at in enumerate(np.arange(rng.uniform(0.05, beat), n / sr, beat)):
        _place(out, tick if k % 2 == 0 else tock, int(at * sr), rng.uniform(0.9, 1.1))
    return out + 1e-3 * np.abs(out).max() * _bp(rng.standard_normal(n), 200, 4000, sr)


def phone_ring(n, sr, rng):
    # An electromechanical bell: a hammer strikes two bells 20 times a second, 2 s on, 2 s off.
    out = np.zeros(n)
    m = int(0.05 * sr)
    t = np.arange(m) / sr

    def bell(f):
        return sum(g * np.sin(2 * np.pi * f * r * t) for r, g in ((1.0, 1.0), (2.76, 0.5), (5.4, 0.25))) * np.exp(-t / 0.04)

    bells = (bell(1000.0), bell(1250.0))
    step = sr // 40
    for k, at in enumerate(range(0, n, step)):
        if (at / sr) % 4.0 < 2.0:
            _place(out, bells[k % 2], at)
    return out + 1e-3 * rng.standard_normal(n)

def typing(n, sr, rng):
    # A keyboard on a desk. A keystroke is three clicks within ~6 ms (the finger on the cap, the switch,
    # the bottom-out; plastic, 1.5-7 kHz, 3 ms) over a thud of the board on the desk, and a softer
    # clack ~90 ms later as the key springs back. Keys come in words, log-normal spacing around 0.15 s
    # (~7 keys a second), with pauses between words and to think; 16 keys sound a little different.
    m = int(0.04 * sr)
    decay = np.exp(-np.arange(m) / (0.003 * sr))
    thud = _lp(rng.standard_normal((16, m)), 300, sr) * np.exp(-np.arange(m) / (0.01 * sr)) * 1.2
    keys = thud
    for _ in range(3):
        clicks = _bp(rng.standard_normal((16, m)), 1500 * rng.uniform(0.8, 1.2), 7000 * rng.uniform(0.8, 1.2), sr)
        lag = (rng.uniform(0.0, 0.006, 16) * sr).astype(int) * (_ > 0)
        rows = np.arange(m)[None, :] - lag[:, None]
        keys = keys + np.where(rows >= 0, np.take_along_axis(clicks * decay, np.maximum(rows, 0), axis=1), 0.0) \
            * rng.uniform(0.3, 1.0, (16, 1))
    times, gains = [], []
    t = rng.uniform(0.0, 0.3)
    while t < n / sr:
        for _ in range(int(rng.integers(3, 10))):
            times += [t, t + rng.uniform(0.06, 0.12)]
            gains += [rng.uniform(0.6, 1.0), 0.3 * rng.uniform(0.6, 1.0)]
            t += rng.lognormal(np.log(0.15), 0.35)
        t += rng.uniform(0.3, 1.0)
    out = _place_all(n, keys[rng.integers(16, size=len(times))], (np.asarray(times) * sr).astype(np.int64), gains)
    return out + 1e-3 * np.abs(out).max() * _bp(rng.standard_normal(n), 100, 3000, sr)


def hum(n, sr, rng):
    # Transformer / compressor hum: magnetostriction buzz at 100 Hz, rich in harmonics, plus motor noise.
    t = np.arange(n) / sr
    buzz = np.tanh(3.0 * np.sin(2 * np.pi * 100 * t)) + 0.4 * np.sin(2 * np.pi * 50 * t)
    buzz = _lp(buzz, 1500, sr) * _wander(n, sr, rng, 0.2, 0.1)
    return buzz + 0.3 * _bp(_pink(n, rng), 80, 2000, sr)

def fan(n, sr, rng):
    blade = 7 * 1500 / 60.0  # 7 blades at 1500 rpm
    tone = 0.3 * _tone(n, sr, blade) + 0.15 * _tone(n, sr, 2 * blade)
    air = _bp(_pink(n, rng), 200, 6000, sr)
    return tone + air


def tap(n, sr, rng):
    jet = _bp(rng.standard_normal(n), 800, 9000, sr) * _wander(n, sr, rng, 8.0, 0.3)
    splash = np.zeros(n)
    for at in _events(n, sr, rng, 40.0):
        m = int(rng.uniform(0.005, 0.02) * sr)
        f = rng.uniform(600, 2500)
        _place(splash, _tone(m, sr, np.linspace(f, f * 1.5, m)) * np.hanning(m), at, rng.uniform(0.2, 0.6))
    return jet + splash


def stream(n, sr, rng):
    flow = _bp(_pink(n, rng), 300, 6000, sr) * _wander(n, sr, rng, 2.0, 0.3)
    bubbles = np.zeros(n)
    for at in _events(n, sr, rng, 25.0):
        m = int(rng.uniform(0.01, 0.04) * sr)
        f0 = rng.uniform(400, 1800)
        chirp = _tone(m, sr, np.linspace(f0, f0 * rng.uniform(1.3, 2.0), m)) * np.exp(-np.arange(m) / (0.3 * m))
        _place(bubbles, chirp, at, rng.uniform(0.1, 0.5))
    return flow + bubbles


def waves(n, sr, rng):
    out = np.zeros(n)
    t = 0.0
    while t * sr < n:
        period = rng.uniform(6.0, 10.0)
        m = int(period * sr)
        shape = np.clip(np.linspace(0, 1, m) / 0.35, 0, 1) * np.exp(-np.clip(np.linspace(0, 1, m) - 0.35, 0, None) * 4)
        crash = _lp(_pink(m, rng), 3000, sr) * shape
        _place(out, crash, int(t * sr), rng.uniform(0.7, 1.2))
        t += period * rng.uniform(0.7, 0.95)
    return out + 0.2 * _lp(_brown(n, rng), 300, sr)


def rain(n, sr, rng):
    # Many small drops (a dense patter) over a broadband hiss.
    hiss = _bp(_pink(n, rng), 800, 12000, sr) * 1.0
    at = _events(n, sr, rng, 400.0)
    noise, gains = _noises(rng, len(at), max(2, int(0.006 * sr)), lambda r: r.uniform(0.1, 0.5))
    return hiss + _place_all(n, _bursts(noise, 3000, 12000, sr, 0.0015), at, gains)

def wind(n, sr, rng):
    # Gusts: the wind speed wanders log-normally, smoothed (~0.5 gusts a second). The rush of air
    # (pink noise) rises with it and brightens (more above 400 Hz at speed); an aeolian whistle
    # off a wire or an edge follows the speed (Strouhal: f ~ v / d, 300-900 Hz), and strong gusts
    # buffet the microphone (turbulence below 80 Hz, only above a threshold speed).
    k = int(n / sr * 0.5) + 3
    gust = np.interp(np.linspace(0, k - 1, n), np.arange(k), np.exp(0.8 * rng.standard_normal(k)))
    gust = _lp(gust, 0.5, sr, order=1)
    gust /= gust.max()
    rush = _lp(_pink(n, rng), 400, sr) * gust + 0.5 * _bp(_pink(n, rng), 400, 3000, sr) * gust ** 2
    whistle = np.sin(2 * np.pi * np.cumsum(300 + 600 * gust) / sr) * _lp(rng.standard_normal(n), 30, sr) * 3
    buffet = _lp(rng.standard_normal(n), 80, sr) * np.maximum(0.0, gust - 0.4) * 20
    return rush + 0.2 * whistle * gust ** 2 + 0.7 * buffet


def fire(n, sr, rng):
    # A log fire: soft low roar and bright crackles, pops in clusters.
    roar = _lp(_brown(n, rng), 300, sr) * 2.0 * _wander(n, sr, rng, 1.0, 0.4)
    m = max(2, int(0.006 * sr))
    times, decays, noise, gains = [], [], [], []
    for at in _events(n, sr, rng, 6.0):
        for _ in range(int(rng.integers(1, 6))):
            at += int(rng.exponential(0.02) * sr)
            times.append(at)
            decays.append(rng.uniform(0.0005, 0.002))
            noise.append(rng.standard_normal(m))
            gains.append(rng.pareto(1.5) + 0.5)
    crackle = _place_all(n, _bursts(np.reshape(noise, (-1, m)), 1000, 8000, sr, decays), times, gains)
    hiss = 0.08 * _hp(_pink(n, rng), 3000, sr) * _wander(n, sr, rng, 2.0, 0.5)
    return roar + crackle + hiss

def birdsong(n, sr, rng):
    out = np.zeros(n)
    for at in _events(n, sr, rng, 0.4, min_gap_s=0.8):
        base = rng.uniform(2500, 5000)
        syllables = rng.integers(3, 9)
        pos = at
        for _ in range(syllables):
            m = int(rng.uniform(0.04, 0.12) * sr)
            sweep = base * np.linspace(1.0, rng.uniform(0.6, 1.5), m) * (1 + 0.05 * np.sin(np.linspace(0, 20, m)))
            _place(out, _tone(m, sr, sweep) * np.hanning(m), pos, rng.uniform(0.4, 1.0))
            pos += m + int(rng.uniform(0.02, 0.08) * sr)
    return out + 0.01 * _hp(_pink(n, rng), 2000, sr)


def crickets(n, sr, rng):
    # Field crickets: each closing stroke of the wings is a ~15 ms pulse of a 4-5 kHz tone (the file's
    # teeth strike at the harp's resonance; a weak second harmonic), 3-4 pulses ~30 ms apart make a
    # chirp, 2-3 chirps a second. One near, two farther off, out of step; a quiet night 60 dB under.
    out = np.zeros(n)
    m = int(0.015 * sr)
    envelope = np.sin(np.pi * np.arange(m) / m) ** 2
    for voice, gain in enumerate((1.0, rng.uniform(0.2, 0.5), rng.uniform(0.1, 0.3))):
        carrier = rng.uniform(4300, 5000)
        pulse = (_tone(m, sr, carrier) + 0.3 * _tone(m, sr, 2 * carrier)) * envelope
        period = 1.0 / rng.uniform(2.0, 3.0)
        t = rng.uniform(0, period)
        while t < n / sr:
            for p in range(int(rng.integers(3, 5))):
                _place(out, pulse, int((t + p * rng.uniform(0.028, 0.032)) * sr), gain)
            t += period * rng.uniform(0.95, 1.05)
    return out + 1e-3 * np.abs(out).max() * _pink(n, rng)


def footsteps(n, sr, rng):
    # Walking on a hard floor: a soft heel thud, then the sole rolling and a light scuff.
    out = np.zeros(n)
    step = rng.uniform(0.5, 0.6)
    t = rng.uniform(0.0, 0.3)
    m = int(0.12 * sr)
    attack = np.minimum(1.0, np.arange(m) / (0.004 * sr))
    noise, at, gains = [], [], []  # per step: heel, then sole (the order the samples are summed in)
    while t * sr < n:
        noise += [rng.standard_normal(m), rng.standard_normal(m)]
        at += [int(t * sr), int((t + 0.04) * sr)]
        gains += [rng.uniform(0.8, 1.1), rng.uniform(0.6, 1.0)]
        t += step * rng.uniform(0.95, 1.05)
    if at:
        noise = np.reshape(noise, (-1, 2, m))
        heels = _bp(noise[:, 0], 80, 900, sr) * attack * np.exp(-np.arange(m) / (0.025 * sr))
        soles = _bp(noise[:, 1], 400, 3000, sr) * np.hanning(m) * 0.25
        out = _place_all(n, np.stack([heels, soles], axis=1).reshape(-1, m), at, gains)
    return out + 5e-3 * _bp(rng.standard_normal(n), 100, 4000, sr)


def voice(n, sr, rng):
    # One talker, a man or a woman, phrases and pauses.
    female = rng.random() < 0.5
    f0 = rng.uniform(185, 230) if female else rng.uniform(100, 130)
    m = int(np.ceil(n * SPEECH_RATE / sr))
    out, air = _speak([(1.0, *_speech_spectrum(m, rng, f0=f0, tract=1.15 if female else 1.0))], n, sr, rng)
    return _from_speech_rate(out, n, sr, air, rng)


def crowd(n, sr, rng):
    # Babble in a hall: 16 men and women, none near, talking in phrases and laughing now and then.
    # Talkers in a noisy crowd raise their voices (the Lombard effect: f0 up ~20 %, a pressed voice,
    # open quotient 0.4); a reverberant room (RT60 0.8 s) smears them into a hubbub.
    m = int(np.ceil(n * SPEECH_RATE / sr))
    talkers = []
    for _ in range(16):
        female = rng.random() < 0.5
        f0 = 1.2 * (rng.uniform(185, 240) if female else rng.uniform(95, 135))
        talkers.append((rng.uniform(0.2, 0.5), *_speech_spectrum(m, rng, f0=f0, tract=1.15 if female else 1.0,
                                                                  rate_hz=rng.uniform(4.0, 5.5), excite=0.15,
                                                                  laugh=0.3, open_quotient=0.4)))
    out, air = _speak(talkers, n, sr, rng)
    tail = int(0.8 * SPEECH_RATE)
    room = _lp(rng.standard_normal(tail) * np.exp(-6.9 * np.arange(tail) / tail), 3000, SPEECH_RATE)
    from scipy.signal import fftconvolve

    wet = fftconvolve(out, room)[:m]
    return _from_speech_rate(out + 0.7 * wet * out.std() / (wet.std() + 1e-12), n, sr, air, rng)


def conversation(n, sr, rng):
    # Two people, a man and a woman, taking turns (each turn a few phrases), now and then overlapping.
    m = int(np.ceil(n * SPEECH_RATE / sr))
    talkers = []
    for f0, tract in ((rng.uniform(100, 130), 1.0), (rng.uniform(185, 230), 1.15)):
        voiced, noise = _speech_spectrum(m, rng, f0=f0, tract=tract, laugh=0.05)
        talkers.append([1.0, voiced, noise])
    frames = len(talkers[0][1])
    turn_s = _HOP / SPEECH_RATE
    gate, t, who = np.zeros(frames), 0, int(rng.integers(2))
    while t < frames:
        length = int(rng.uniform(1.5, 4.0) / turn_s)
        gate[t:t + length] = who
        t += length
        who = 1 - who
    gate = np.convolve(gate, np.ones(25) / 25, mode="same")[:, None]  # 0.2 s hand-overs
    talkers[0][1], talkers[0][2] = talkers[0][1] * (1 - gate), talkers[0][2] * (1 - gate)
    talkers[1][1], talkers[1][2] = talkers[1][1] * gate, talkers[1][2] * gate
    out, air = _speak([tuple(tk) for tk in talkers], n, sr, rng)
    return _from_speech_rate(out, n, sr, air, rng)


def children(n, sr, rng):
    # Children playing: short vocal tracts (formants ~1.35x an adult man's) and high voices
    # (f0 250-400 Hz), excited speech with shouts and laughter, several at different distances, outdoors.
    m = int(np.ceil(n * SPEECH_RATE / sr))
    talkers = [(rng.uniform(0.2, 1.0), *_speech_spectrum(m, rng, f0=rng.uniform(250, 400), tract=rng.uniform(1.3, 1.45),
                                                          rate_hz=rng.uniform(4.5, 5.5), excite=0.4, laugh=0.25,
                                                          breath=0.06))
               for _ in range(4)]
    out, air = _speak(talkers, n, sr, rng)
    return _from_speech_rate(out, n, sr, air, rng) + 0.02 * _lp(_pink(n, rng), 1000, sr)


#: Partials of a tuned church bell relative to its nominal, and their decay times (s) for a bell
#: whose nominal is 500 Hz: hum, prime, tierce (a minor third over the prime), quint, nominal,
#: superquint, octave nominal (Rossing, "The Science of Sound"; Hibbert 2003).
_BELL_PARTIALS = np.array([0.25, 0.5, 0.6, 0.75, 1.0, 1.5, 2.0, 2.5, 2.66])
_BELL_DECAYS_S = np.array([12.0, 6.0, 4.0, 2.5, 2.5, 1.2, 0.8, 0.5, 0.4])
_BELL_GAINS = np.array([0.5, 0.6, 0.8, 0.3, 1.0, 0.5, 0.4, 0.25, 0.2])


def bells(n, sr, rng):
    # Change ringing: 4-6 tuned bells (a descending major scale) rung in rounds, one stroke every
    # ~0.25 s, a pause each round, or a single bell tolling. Each stroke: the clapper's knock and
    # the bell's partials (modal synthesis), each a doublet beating slowly as real bells' do.
    count = int(rng.integers(4, 7))
    tenor = rng.uniform(350, 600)
    steps = np.array([0, 2, 4, 5, 7, 9, 11])[:count]
    nominals = tenor * 2 ** (steps[::-1] / 12.0)
    dur = min(n / sr, 2.5)  # the next stroke of the same bell comes within ~2 s
    strike = []
    for f in nominals:
        scale = (500.0 / f) ** 0.7  # bigger bells ring longer
        # Every partial a doublet (the bell is not quite round): slow beats, the bell's warble.
        freqs = np.concatenate([f * _BELL_PARTIALS, f * _BELL_PARTIALS + rng.uniform(0.5, 2.0, len(_BELL_PARTIALS))])
        ring = _modes(sr, freqs, np.tile(_BELL_DECAYS_S * scale, 2), np.tile(_BELL_GAINS, 2) * 0.5, dur, rng)
        knock = _burst(sr, rng, 0.01, 300, 6000, 0.002)
        ring[:len(knock)] += 2.0 * knock * np.abs(ring).max() / (np.abs(knock).max() + 1e-12)
        strike.append(ring)
    out = np.zeros(n)
    toll = rng.random() < 0.3
    stroke = rng.uniform(0.22, 0.3) if not toll else rng.uniform(1.8, 2.4)
    t, k = rng.uniform(0.0, 0.3), 0
    while t < n / sr:
        bell = 0 if toll else k % count
        _place(out, strike[bell], int(t * sr), rng.uniform(0.8, 1.0))
        k += 1
        t += stroke * rng.uniform(0.97, 1.03) + (stroke if (not toll and k % count == 0) else 0.0)
    return out


def applause(n, sr, rng):
    # An audience clapping: 40 people, each at their own steady rate (3-6 claps a second, drifting);
    # a clap is ~5 ms of noise through the cupped hands' cavity resonance (Repp 1987: 0.5-3 kHz,
    # varying with hand configuration). The audience swells in and, near the end, thins out.
    out = np.zeros(n)
    x = np.linspace(0, 1, n)
    level = np.minimum(1.0, x / 0.08)
    for group in range(8):  # hands alike enough to share a resonance
        centre = rng.uniform(700, 2500)
        times, gains = [], []
        for _ in range(5):
            rate = rng.uniform(3.0, 6.0)
            times.append(np.cumsum(rng.normal(1.0 / rate, 0.08 / rate, int(n / sr * rate) + 2)) + rng.uniform(0, 1 / rate))
            gains.append(rng.uniform(0.5, 1.0, len(times[-1])))
        envelope = _impulses(n, np.concatenate(times), np.concatenate(gains), sr)
        envelope = _lfilter([1.0], [1.0, -np.exp(-1.0 / (0.004 * sr))], envelope)
        out += _bp(rng.standard_normal(n) * envelope, centre / 1.8, centre * 1.8, sr)
    return out * level


def cat(n, sr, rng):
    out = np.zeros(n)
    for at in _events(n, sr, rng, 0.35, min_gap_s=1.0):
        m = int(rng.uniform(0.5, 1.0) * sr)
        x = np.linspace(0, 1, m)
        f0 = rng.uniform(450, 650) * (1 + 0.3 * np.sin(np.pi * x))  # "mee-ow": up then down
        src = sum(_tone(m, sr, k * f0) / k for k in range(1, 8))
        f1 = 700 + 900 * np.sin(np.pi * x)  # mouth opening and closing
        y = np.zeros(m)
        for i in range(0, m, 256):
            seg = src[i:i + 256]
            y[i:i + len(seg)] = _resonate(seg, f1[i], 4, sr) + 0.5 * _resonate(seg, 2 * f1[i] + 600, 6, sr)
        _place(out, y * np.hanning(m), at)
    purr = 0.1 * _lp(rng.standard_normal(n), 300, sr) * (1 + np.sin(2 * np.pi * 25 * np.arange(n) / sr))
    return out + purr


#: A bark's pitch and vocal-tract resonances by the dog's size class, as a multiple of a medium dog's:
#: formant spacing falls with body size in dogs (Riede & Fitch 1999, J. Exp. Biol. 202:2859), and a
#: small dog's bark sits higher; the fundamental moves with the formants here, a caricature.
DOG_PITCH = {"small": 1.5, "medium": 1.0, "large": 0.7}


def _barks(n, sr, rng, pitch):
    # Barks in runs: a short, loud, noisy harmonic burst ("woof") whose pitch falls.
    out = np.zeros(n)
    t = rng.uniform(0.1, 0.4)
    while t * sr < n:
        for k in range(int(rng.integers(2, 5))):
            m = int(rng.uniform(0.12, 0.2) * sr)
            x = np.linspace(0, 1, m)
            f0 = rng.uniform(250, 450) * pitch * (1.3 - 0.6 * x)
            harmonic = sum(_tone(m, sr, j * f0) * np.exp(-j / 6.0) for j in range(1, 14))
            src = harmonic + 0.8 * _bp(rng.standard_normal(m), 300, 4000, sr) * np.exp(-x * 6)
            y = _resonate(src, rng.uniform(500, 800) * pitch, 2.0, sr) \
                + _resonate(src, rng.uniform(1200, 1800) * pitch, 2.5, sr)
            env = np.minimum(1, x / 0.02) * np.exp(-x * 4)
            _place(out, y * env, int((t + k * rng.uniform(0.25, 0.4)) * sr), rng.uniform(0.7, 1.0))
        t += rng.uniform(0.8, 1.8)
    return out + 3e-3 * _bp(rng.standard_normal(n), 100, 3000, sr)


def dog(n, sr, rng):
    return _barks(n, sr, rng, DOG_PITCH["medium"])


def small_dog(n, sr, rng):
    return _barks(n, sr, rng, DOG_PITCH["small"])


def large_dog(n, sr, rng):
    return _barks(n, sr, rng, DOG_PITCH["large"])


# --- registry -----------------------------------------------------------------

@dataclass(frozen=True)
class SynthModel:
    """``size``: the size class of source it is for ("small", "medium", "large"), or None for any."""

    name: str
    generate: Generator
    labels: tuple[str, ...]
    audioset: tuple[str, ...]
    size: str | None = None


MODELS = {m.name: m for m in [
    SynthModel("car-engine", car_engine, ("car", "vehicle"), ("Car", "Engine", "Vehicle", "Motor vehicle (road)")),
    SynthModel("bus-engine", bus_engine, ("bus",), ("Bus", "Engine", "Vehicle", "Idling")),
    SynthModel("truck-engine", truck_engine, ("truck",), ("Truck", "Engine", "Vehicle", "Heavy engine (low frequency)")),
    SynthModel("motorcycle-engine", motorcycle_engine, ("motorcycle",), ("Motorcycle", "Engine", "Vehicle")),
    SynthModel("train", train, ("train",), ("Train", "Rail transport", "Train wheels squealing")),
    SynthModel("jet-aircraft", jet_aircraft, ("airplane",), ("Aircraft", "Jet engine", "Fixed-wing aircraft, airplane")),
    SynthModel("propeller-aircraft", propeller_aircraft, ("airplane",), ("Aircraft", "Propeller, airscrew")),
    SynthModel("helicopter", helicopter, (), ("Helicopter", "Aircraft")),
    SynthModel("motorboat", motorboat, ("boat",), ("Boat, Water vehicle", "Motorboat, speedboat")),
    SynthModel("traffic", traffic, ("traffic",), ("Traffic noise, roadway noise", "Vehicle")),
    SynthModel("clock", clock, ("clock",), ("Clock", "Tick", "Tick-tock")),
    SynthModel("phone-ring", phone_ring, ("cell phone",), ("Telephone bell ringing", "Ringtone", "Telephone")),
    SynthModel("typing", typing, ("keyboard", "laptop"), ("Typing", "Computer keyboard")),
    SynthModel("hum", hum, ("refrigerator", "tv", "microwave", "oven"), ("Hum", "Mains hum")),
    SynthModel("fan", fan, ("laptop", "hair drier", "refrigerator"), ("Mechanical fan", "Air conditioning")),
    SynthModel("tap", tap, ("sink",), ("Water tap, faucet", "Water", "Sink (filling or washing)")),
    SynthModel("stream", stream, ("stream",), ("Stream", "Water", "Trickle, dribble")),
    SynthModel("waves", waves, ("waves",), ("Waves, surf", "Ocean", "Water")),
    SynthModel("rain", rain, ("rain", "umbrella"), ("Rain", "Rain on surface", "Raindrop")),
    SynthModel("wind", wind, ("wind", "kite"), ("Wind", "Rustling leaves", "Wind noise (microphone)")),
    SynthModel("fire", fire, ("fire",), ("Fire", "Crackle")),
    SynthModel("birdsong", birdsong, ("bird",), ("Bird", "Bird vocalization, bird call, bird song", "Chirp, tweet")),
    SynthModel("crickets", crickets, ("insect",), ("Cricket", "Insect")),
    SynthModel("footsteps", footsteps, ("person",), ("Walk, footsteps",)),
    SynthModel("crowd", crowd, ("crowd",), ("Crowd", "Hubbub, speech noise, speech babble", "Chatter")),
    SynthModel("voice", voice, ("person",), ("Speech", "Conversation", "Male speech, man speaking")),
    SynthModel("conversation", conversation, (), ("Conversation", "Speech", "Male speech, man speaking",
                                                   "Female speech, woman speaking")),
    SynthModel("children", children, (), ("Children playing", "Child speech, kid speaking", "Children shouting")),
    SynthModel("bells", bells, (), ("Church bell", "Bell", "Change ringing (campanology)")),
    SynthModel("applause", applause, ("crowd",), ("Applause", "Clapping")),
    SynthModel("cat", cat, ("cat",), ("Cat", "Meow", "Purr")),
    SynthModel("dog", dog, ("dog",), ("Dog", "Bark"), size="medium"),
    SynthModel("small-dog", small_dog, ("dog",), ("Dog", "Bark"), size="small"),
    SynthModel("large-dog", large_dog, ("dog",), ("Dog", "Bark"), size="large"),
]}


SEGMENT_S = 60.0
SYNTH_SEGMENT_CROSSFADE_S = 1.0


def _one_piece(model, n: int, sample_rate: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.asarray(model.generate(n, sample_rate, rng), dtype=np.float64)[:n]
    x = _hp(x, 25.0, sample_rate)  # no DC or subsonic drift
    rms = np.sqrt(np.mean(x ** 2))
    if rms > 0:
        x *= 10 ** (-20.0 / 20) / rms * 0.7  # ~ -20 LUFS for broadband material
    peak = np.max(np.abs(x))
    if peak > 0.95:
        x *= 0.95 / peak
    return x.astype(np.float32)


def synthesize(name: str, duration_s: float, sample_rate: int, seed: int) -> np.ndarray:
    """``duration_s`` of model ``name`` at ``sample_rate`` [shape=(n,), float32], about -20 LUFS.

    Longer than ``SEGMENT_S``, the sound is made in segments of that length,
    each with its own seed, joined by 1 s equal-power crossfades: memory stays
    that of one segment whatever the length (:func:`synthesized` makes it a
    segment at a time, never whole).
    """
    return np.asarray(synthesized(name, duration_s, sample_rate, seed))


def synthesized(name: str, duration_s: float, sample_rate: int, seed: int) -> Samples | Timeline:
    """:func:`synthesize` as a ranged sound (:mod:`.ranged`): each segment made when it is heard."""
    model = MODELS[name]
    n = max(1, int(round(duration_s * sample_rate)))
    segment = int(SEGMENT_S * sample_rate)
    if n <= segment:
        return Samples(_one_piece(model, n, sample_rate, seed))
    xf = int(SYNTH_SEGMENT_CROSSFADE_S * sample_rate)
    fade = np.sin(np.linspace(0, np.pi / 2, xf)).astype(np.float32)
    timeline = Timeline(n)

    def piece(k: int, start: int, length: int) -> np.ndarray:
        piece = _one_piece(model, length, sample_rate, seed + 7919 * k)
        if start > 0:
            piece[:xf] *= fade[: len(piece[:xf])]
        if start + length < n:
            piece[-xf:] *= fade[::-1]
        return piece

    for k, start in enumerate(range(0, n, segment)):
        length = min(segment + xf, n - start)
        timeline.add(start, length, lambda k=k, start=start, length=length: piece(k, start, length))
    return timeline
