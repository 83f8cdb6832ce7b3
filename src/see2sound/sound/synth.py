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
  ``propeller-aircraft``; ``motorboat``; ``traffic`` (distant passing cars)
- household: ``clock`` (tick-tock), ``phone-ring`` (two-tone bell trill),
  ``typing`` (key clicks in bursts), ``hum`` (50 Hz mains and harmonics),
  ``fan`` (blade tone and air noise)
- water: ``tap``, ``stream``, ``waves``, ``rain``; air: ``wind``; ``fire``
- life: ``birdsong``, ``crickets``, ``footsteps``, ``crowd`` (babble of
  many formant voices), ``voice`` (one talker), ``cat`` (meows), ``dog`` (barks),
  ``small-dog`` and ``large-dog`` (the same, pitched by :data:`DOG_PITCH`)

A model with a ``size`` is for sources of that size class only (the scene's
``sound.size``, written by the label refinement; a source without one is medium).

Contents
--------
MODELS, SynthModel, DOG_PITCH, synthesize
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import signal

Generator = Callable[[int, int, np.random.Generator], np.ndarray]

#: Vowel formants (F1, F2, F3) in Hz of an adult voice (Peterson & Barney, 1952).
_VOWELS = np.array([[730, 1090, 2440], [530, 1840, 2480], [270, 2290, 3010], [570, 840, 2410], [300, 870, 2240]])


# --- building blocks ----------------------------------------------------------

def _bp(x, lo, hi, sr, order=2):
    hi = min(hi, 0.45 * sr)
    return signal.sosfilt(signal.butter(order, [lo, hi], "bandpass", fs=sr, output="sos"), x)


def _lp(x, fc, sr, order=2):
    return signal.sosfilt(signal.butter(order, min(fc, 0.45 * sr), fs=sr, output="sos"), x)


def _hp(x, fc, sr, order=2):
    return signal.sosfilt(signal.butter(order, fc, "highpass", fs=sr, output="sos"), x)


def _pink(n, rng):
    """1/f noise by filtering white noise (Kellet's coefficients)."""
    b = [0.049922035, -0.095993537, 0.050612699, -0.004408786]
    a = [1, -2.494956002, 2.017265875, -0.522189400]
    return signal.lfilter(b, a, rng.standard_normal(n)) * 4.0


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
    b, a = signal.iirpeak(min(freq, 0.45 * sr), q, fs=sr)
    return signal.lfilter(b, a, x)


def _tone(n, sr, freq, phase=0.0):
    freq = np.broadcast_to(np.asarray(freq, dtype=np.float64), (n,))
    return np.sin(2 * np.pi * np.cumsum(freq) / sr + phase)


# --- models -------------------------------------------------------------------

def _engine(n, sr, rng, *, rpm, cylinders, exhaust_hz, diesel, tyres):
    rpm_curve = rpm * _wander(n, sr, rng, 0.3, 0.15)
    firing = rpm_curve / 60.0 * cylinders / 2.0
    pulses = _pulse_train(n, sr, firing, jitter=0.05, rng=rng)
    excitation = signal.lfilter([1.0], [1.0, -0.97], pulses)  # each firing a decaying pressure pulse
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
    excitation = signal.lfilter([1.0], [1.0, -0.985], pulses)
    body = _resonate(excitation, 160, 1.5, sr) + 0.6 * _resonate(excitation, 420, 2.0, sr)
    return body + 0.15 * _lp(rng.standard_normal(n), 2000, sr) * _wander(n, sr, rng, 0.5, 0.4)

def train(n, sr, rng):
    # Rolling noise of wheels on rails, body rumble, a clickety-clack at the joints, a little squeal.
    rolling = _bp(_pink(n, rng), 300, 3000, sr) * 0.8
    rumble = _lp(_brown(n, rng), 200, sr) * 4.0
    out = (rolling + rumble) * _wander(n, sr, rng, 0.1, 0.15)
    period = rng.uniform(0.9, 1.3)
    t = 0.2
    while t * sr < n:
        for offset in (0.0, 0.11, 0.55, 0.66):  # two bogies, two axles each
            _place(out, _burst(sr, rng, 0.05, 150, 1500, 0.012) * 1.5, int((t + offset) * sr))
        t += period
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
    buzz = signal.lfilter([1.0], [1.0, -0.9], _pulse_train(n, sr, blade))
    buzz = _lp(buzz, 1200, sr)
    return buzz + 0.4 * _lp(_pink(n, rng), 1500, sr)


def motorboat(n, sr, rng):
    engine = _engine(n, sr, rng, rpm=4500, cylinders=2, exhaust_hz=180, diesel=False, tyres=False)
    slap = np.zeros(n)
    for at in _events(n, sr, rng, 3.0):
        _place(slap, _burst(sr, rng, 0.15, 200, 2500, 0.05), at, rng.uniform(0.5, 1.5))
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
    out = np.zeros(n)
    m = int(0.04 * sr)

    def strike(freq):
        x = np.zeros(m)
        x[0] = 1.0
        ring = sum(_resonate(x, f, 25, sr) * g for f, g in ((freq, 1.0), (freq * 2.3, 0.6), (freq * 4.1, 0.3)))
        return ring * np.exp(-np.arange(m) / (0.006 * sr))

    tick, tock = strike(3000), strike(2100)
    for k, at in enumerate(range(int(0.1 * sr), n, sr // 2)):  # a mechanical clock: two beats a second
        _place(out, tick if k % 2 == 0 else tock, at, rng.uniform(0.9, 1.1))
    return out + 2e-3 * _bp(rng.standard_normal(n), 200, 4000, sr)

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
    # Keys of a laptop keyboard: a plastic tick on press, a softer one on release, words and pauses.
    out = np.zeros(n)
    m = int(0.02 * sr)
    decay = np.exp(-np.arange(m) / (0.003 * sr))
    t = rng.uniform(0.0, 0.2)
    while t * sr < n:
        for _ in range(int(rng.integers(3, 8))):
            press = _bp(rng.standard_normal(m), rng.uniform(1500, 2500), rng.uniform(5000, 8000), sr) * decay
            _place(out, press, int(t * sr), rng.uniform(0.6, 1.0))
            _place(out, press * 0.3, int((t + rng.uniform(0.05, 0.09)) * sr))  # the release
            t += rng.uniform(0.12, 0.25)
        t += rng.uniform(0.3, 0.8)
    return out + 3e-3 * _bp(rng.standard_normal(n), 100, 3000, sr)


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
    drops = np.zeros(n)
    for at in _events(n, sr, rng, 400.0):
        _place(drops, _burst(sr, rng, 0.006, 3000, 12000, 0.0015), at, rng.uniform(0.1, 0.5))
    return hiss + drops

def wind(n, sr, rng):
    # Gusts: low-passed noise whose level and brightness rise and fall together, a faint howl.
    gust = _lp(np.abs(rng.standard_normal(n)), 0.3, sr, order=1)
    gust = 0.2 + (gust / gust.max() if gust.max() > 0 else gust)
    low = _lp(_pink(n, rng), 500, sr) * gust
    high = _bp(_pink(n, rng), 500, 3000, sr) * gust ** 2 * 0.5
    howl = 0.02 * _resonate(rng.standard_normal(n), 600, 40, sr) * gust ** 2
    return low + high + howl + 0.5 * _lp(_brown(n, rng), 60, sr) * gust

def fire(n, sr, rng):
    # A log fire: soft low roar and bright crackles, pops in clusters.
    roar = _lp(_brown(n, rng), 300, sr) * 2.0 * _wander(n, sr, rng, 1.0, 0.4)
    crackle = np.zeros(n)
    for at in _events(n, sr, rng, 6.0):
        for _ in range(int(rng.integers(1, 6))):
            at += int(rng.exponential(0.02) * sr)
            _place(crackle, _burst(sr, rng, 0.006, 1000, 8000, rng.uniform(0.0005, 0.002)), at, rng.pareto(1.5) + 0.5)
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
    # Crickets: each chirp is 3-4 rapid pulses of a 4-5 kHz tone with its second harmonic;
    # a field of them, near and far, chirping out of step.
    out = np.zeros(n)
    m = int(0.018 * sr)
    for voice in range(12):
        carrier = rng.uniform(4300, 5000)
        pulse = (_tone(m, sr, carrier) + 0.3 * _tone(m, sr, 2 * carrier)) * np.hanning(m) ** 0.5
        period = 1.0 / rng.uniform(2.0, 4.0)
        gain = rng.uniform(0.2, 1.0)
        t = rng.uniform(0, period)
        while t * sr < n:
            for p in range(int(rng.integers(3, 5))):
                _place(out, pulse, int((t + p * 0.025) * sr), gain)
            t += period * rng.uniform(0.95, 1.05)
    return out + 0.02 * _hp(_pink(n, rng), 3000, sr)


def footsteps(n, sr, rng):
    # Walking on a hard floor: a soft heel thud, then the sole rolling and a light scuff.
    out = np.zeros(n)
    step = rng.uniform(0.5, 0.6)
    t = rng.uniform(0.0, 0.3)
    m = int(0.12 * sr)
    attack = np.minimum(1.0, np.arange(m) / (0.004 * sr))
    while t * sr < n:
        heel = _bp(rng.standard_normal(m), 80, 900, sr) * attack * np.exp(-np.arange(m) / (0.025 * sr))
        sole = _bp(rng.standard_normal(m), 400, 3000, sr) * np.hanning(m) * 0.25
        _place(out, heel, int(t * sr), rng.uniform(0.8, 1.1))
        _place(out, sole, int((t + 0.04) * sr), rng.uniform(0.6, 1.0))
        t += step * rng.uniform(0.95, 1.05)
    return out + 5e-3 * _bp(rng.standard_normal(n), 100, 4000, sr)


def _talker(n, sr, rng, f0):
    """One voice: consonant-vowel syllables, formant transitions, falling intonation, pauses."""
    out = np.zeros(n)
    t = rng.uniform(0.0, 0.4)
    while t * sr < n:
        phrase_syllables = int(rng.integers(4, 12))
        for k in range(phrase_syllables):
            v = int(rng.uniform(0.1, 0.22) * sr)
            c = int(rng.uniform(0.03, 0.08) * sr)
            pitch = f0 * (1.15 - 0.3 * k / phrase_syllables) * (1 + 0.05 * rng.standard_normal())
            pulses = _pulse_train(v, sr, pitch * np.linspace(1.05, 0.95, v))
            glottal = np.diff(signal.lfilter([1.0], [1.0, -0.97], pulses), prepend=0.0)
            a, b = _VOWELS[rng.integers(len(_VOWELS))], _VOWELS[rng.integers(len(_VOWELS))]
            half = v // 2
            vowel = np.zeros(v)
            for seg, formants in ((slice(0, half), a), (slice(half, v), (a + b) / 2)):
                vowel[seg] = sum(_resonate(glottal[seg], f, f / 80.0, sr) * g
                                 for f, g in zip(formants, (1.0, 0.5, 0.25)))
            vowel *= np.hanning(v) ** 0.5
            if rng.random() < 0.7:  # a consonant before the vowel: fricative or plosive noise
                lo = rng.choice([2000, 3500, 1000])
                _place(out, _burst(sr, rng, c / sr, lo, lo * 2.5, c / sr / 3) * 0.3, int(t * sr))
                t += c / sr
            _place(out, vowel, int(t * sr))
            t += v / sr
        t += rng.uniform(0.3, 0.9)  # breath between phrases
    return out

def voice(n, sr, rng):
    return _talker(n, sr, rng, rng.uniform(95, 220))


def crowd(n, sr, rng):
    # Babble: several talkers at different distances, smeared by a short room response.
    out = np.zeros(n)
    for _ in range(8):
        out += _talker(n, sr, rng, rng.uniform(90, 250)) * rng.uniform(0.3, 1.0)
    room = rng.standard_normal(int(0.25 * sr)) * np.exp(-np.arange(int(0.25 * sr)) / (0.06 * sr))
    wet = signal.fftconvolve(out, room)[:n] * 0.05
    return out + wet

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
    that of one segment whatever the length.
    """
    model = MODELS[name]
    n = max(1, int(round(duration_s * sample_rate)))
    segment = int(SEGMENT_S * sample_rate)
    if n <= segment:
        return _one_piece(model, n, sample_rate, seed)
    xf = int(SYNTH_SEGMENT_CROSSFADE_S * sample_rate)
    out = np.zeros(n, dtype=np.float32)
    fade = np.sin(np.linspace(0, np.pi / 2, xf)).astype(np.float32)
    for k, start in enumerate(range(0, n, segment)):
        length = min(segment + xf, n - start)
        piece = _one_piece(model, length, sample_rate, seed + 7919 * k)
        if start > 0:
            piece[:xf] *= fade[: len(piece[:xf])]
        if start + length < n:
            piece[-xf:] *= fade[::-1]
        out[start:start + length] += piece
    return out
