"""Text-to-audio (Stable Audio Open or AudioLDM 2, through diffusers) as the sound stage.

Each sounding source gets a sound generated from a prompt built from its
label and the scene's ambience ("the sound of a dog (dog, bark), outdoors
in nature, field recording"). Prompts are generated in batches of
``batch_size``, each with its own seeded generator, so the same seed gives
the same sound whatever the batch. A model makes at most ``max_s`` seconds at
once (47 s for Stable Audio Open 1.0, 10.24 s for AudioLDM 2); the clip is made as long as the scene
needs up to that, then mixed to mono, resampled to the engine's rate
(polyphase) and levelled to about -20 dB RMS like the procedural models,
and looped when the scene is longer.
The ambience bed stays procedural.

Licences: Stable Audio Open 1.0 is under the Stability AI Community
License (free below USD 1 M annual revenue; a licence from Stability AI
above); its weights are gated on the hub (accept the terms, then log in).
AudioLDM 2 (cvssp/audioldm2) is CC BY-NC-SA 4.0: non-commercial.

Contents
--------
TextToAudio    a SoundSource (registered as ``stable-audio-open`` and ``audioldm2``)
SOUND_MODELS, prompt_for
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np

from ..errors import ParameterError
from ..registry import Component
from ..runtime import device, ensure_available, load_pipeline, release
from ..scene import Scene
from .source import Sound

#: Sound-stage names -> hub ids.
SOUND_MODELS = {"stable-audio-open": "stabilityai/stable-audio-open-1.0", "audioldm2": "cvssp/audioldm2"}
#: Classifier-free guidance each family was tuned for (their model cards).
GUIDANCE = {"stable-audio": 7.0, "audioldm": 3.5}
#: Ambience kind -> words appended to every prompt of the scene.
SETTINGS = {
    "outdoor-nature": "outdoors in nature",
    "urban-street": "on a city street",
    "indoor-room": "in a room indoors",
    "water-shore": "by the water",
}
NEGATIVE_PROMPT = "music, melody, low quality, distorted"
TARGET_RMS = 10 ** (-20.0 / 20) * 0.7
PEAK = 0.95


def prompt_for(label: str, audioset: tuple[str, ...] | list[str], ambience: str | None) -> str:
    """The text prompt for a source: what it sounds like, where, and how it was recorded.

    >>> prompt_for("dog", ("Dog", "Bark"), "outdoor-nature")
    'the sound of a dog (dog, bark), outdoors in nature, field recording'
    """
    classes = [c.lower() for c in audioset[:2] if c]
    what = f"the sound of a {label or 'thing'}" + (f" ({', '.join(classes)})" if classes else "")
    where = SETTINGS.get(ambience or "")
    return ", ".join(part for part in (what, where, "field recording") if part)


class TextToAudio(Component):
    """Sounds from a diffusers text-to-audio pipeline (a name of SOUND_MODELS, a hub id, or a folder)."""

    name = "text-to-audio"

    def __init__(self, model: str = "stable-audio-open", *, steps: int = 100, guidance: float | None = None,
                 batch_size: int = 4, lazy: bool = False):
        """``guidance``: default the model family's own. ``lazy``: only check now that the model can be
        loaded; load it at the first :meth:`generate` (so that models of earlier stages can be freed first)."""
        if not (isinstance(steps, int) and 1 <= steps <= 1000):
            raise ParameterError("sound_steps", f"must be from 1 to 1000, got {steps}")
        self.model_id = SOUND_MODELS.get(model, model)
        self.name = model
        self.notes: list[str] = []
        self.steps, self.guidance, self.batch_size = steps, guidance, max(1, batch_size)
        self.family = ""
        self.device, _ = device()
        self.pipe = None
        if lazy:
            ensure_available(self.model_id)
        else:
            self._load()

    def prepare(self) -> None:
        """Load the pipeline now (otherwise at the first sound)."""
        self._load()

    def release(self) -> None:
        """Free the pipeline; it loads again when next needed."""
        self.pipe = None
        release()

    def sounds_for(self, scene: Scene, *, seed: int, sample_rate: int) -> dict[str, Sound]:
        """A generated sound for every source whose label makes sound, all prompts of the scene batched."""
        from .choose import _rng, intended_audioset, makes_no_sound
        from .fit import edge_fade, fit

        ambience = scene.ambience.kind if scene.ambience is not None else None
        todo = []
        for source in scene.sources:
            if makes_no_sound(source.label):
                continue
            audioset = intended_audioset(source)
            todo.append((source, audioset, prompt_for(source.label, audioset, ambience),
                         int(_rng(seed, source.id, "generate").integers(2 ** 31))))
        if not todo:
            return {}
        clips = self.generate([t[2] for t in todo], [t[3] for t in todo], scene.duration_s, sample_rate)
        out = {}
        n = max(1, int(round(scene.duration_s * sample_rate)))
        for (source, audioset, prompt, source_seed), clip in zip(todo, clips):
            if len(clip) >= n:
                audio = edge_fade(clip[:n].copy(), sample_rate)
            else:
                audio = fit(clip, "loop", scene.duration_s, sample_rate, _rng(seed, source.id, "fit"))
            out[source.id] = Sound(audio, {"origin": "generated", "audioset": list(audioset), "description": prompt,
                                           "prompt": prompt, "seed": source_seed, **self.description})
        return out

    def _load(self) -> None:
        if self.pipe is not None:
            return
        pipe = load_pipeline(self.model_id)
        parameters = _call_parameters(pipe)
        if hasattr(pipe, "vae") and "audio_end_in_s" in parameters:
            self.family = "stable-audio"
            self.model_rate = int(pipe.vae.sampling_rate)
            self.hop = int(pipe.vae.hop_length)
            self.reach = decoder_reach(pipe.vae.config.downsampling_ratios)
            self.max_s = pipe.transformer.config.sample_size * self.hop / self.model_rate
        elif hasattr(pipe, "vocoder") and "audio_length_in_s" in parameters:
            # AudioLDM (2): a mel-spectrogram latent diffusion; its trained length is
            # unet size x VAE scale x vocoder hop (10.24 s for AudioLDM 2).
            self.family = "audioldm"
            vocoder = pipe.vocoder.config
            self.model_rate = int(vocoder.sampling_rate)
            hop = int(np.prod(vocoder.upsample_rates))
            self.max_s = pipe.unet.config.sample_size * pipe.vae_scale_factor * hop / self.model_rate
        else:
            raise ParameterError("sound", f"{self.model_id} is not a Stable Audio or AudioLDM text-to-audio pipeline")
        self.pipe = pipe
        if self.guidance is None:
            self.guidance = GUIDANCE[self.family]

    def generate(self, prompts: list[str], seeds: list[int], duration_s: float,
                 sample_rate: int) -> list[np.ndarray]:
        """One mono float32 clip at ``sample_rate`` per prompt, at most ``max_s`` long, seeded per prompt."""
        import torch

        self._load()
        length_s = min(self.max_s, max(duration_s, 1.0 / self.model_rate))
        clips: list[np.ndarray] = []
        for start in range(0, len(prompts), self.batch_size):
            batch = prompts[start:start + self.batch_size]
            generators = [torch.Generator("cpu").manual_seed(int(s)) for s in seeds[start:start + self.batch_size]]
            with torch.inference_mode(), warnings.catch_warnings():
                # torchsde's Brownian interval warns about float rounding at the ends of each step.
                warnings.filterwarnings("ignore", message="Should have", category=UserWarning)
                common = dict(negative_prompt=[NEGATIVE_PROMPT] * len(batch), num_inference_steps=self.steps,
                              guidance_scale=self.guidance, generator=generators)
                if self.family == "audioldm":
                    audios = self.pipe(batch, audio_length_in_s=length_s, output_type="np", **common).audios
                    n = int(round(length_s * self.model_rate))
                    clips.extend(self._to_engine(np.asarray(a)[:n], sample_rate) for a in audios)
                    continue
                latents = self.pipe(batch, audio_end_in_s=length_s, output_type="latent", **common).audios
                for latent in latents:
                    clips.append(self._to_engine(self._decode(latent, length_s), sample_rate))
        return clips

    def _decode(self, latent, length_s: float) -> np.ndarray:
        """One clip's waveform: only the latent frames it needs (plus decoder context), one clip at a time.

        The pipeline always makes the model's whole length and decodes the
        batch at once (over 24 GB for 4 clips on a CPU); the decoder is
        convolutional, so decoding a prefix gives the same start.
        """
        import torch

        n = int(round(length_s * self.model_rate))
        frames = min(latent.shape[-1], math.ceil(n / self.hop) + self.reach)
        with torch.inference_mode():
            audio = self.pipe.vae.decode(latent[None, :, :frames]).sample[0, :, :n]
        return audio.float().cpu().numpy()

    def _to_engine(self, audio: np.ndarray, sample_rate: int) -> np.ndarray:
        from scipy.signal import resample_poly

        x = np.asarray(audio, dtype=np.float64)
        x = x.mean(axis=0) if x.ndim == 2 else x
        x = np.nan_to_num(x)
        if sample_rate != self.model_rate:
            ratio = Fraction(sample_rate, self.model_rate)
            x = resample_poly(x, ratio.numerator, ratio.denominator)
        rms = math.sqrt(float(np.mean(x ** 2))) if len(x) else 0.0
        if rms > 0:
            x *= TARGET_RMS / rms
        peak = float(np.max(np.abs(x))) if len(x) else 0.0
        if peak > PEAK:
            x *= PEAK / peak
        return x.astype(np.float32)

    @property
    def description(self) -> dict:
        return {"model": self.model_id, "steps": self.steps, "guidance": self.guidance, "device": self.device}


def decoder_reach(downsampling_ratios) -> int:
    """How many latent frames past a sample can change it in an Oobleck decoder (its receptive field).

    The decoder is a kernel-7 convolution at the latent rate, then per
    upsampling stage (the ratios reversed) a transposed convolution (kernel
    2 x stride, reaching about one input frame) and three residual units of
    kernel 7 with dilations 1, 3 and 9 (3 x 13 = 39 samples at that stage's
    rate), and a last kernel-7 convolution. For Stable Audio Open this is 15
    frames (0.7 s of audio), with one frame of margin.
    """
    reach, rate = 3.0, 1
    for stride in reversed(list(downsampling_ratios)):
        rate *= stride
        reach += 1.0 + 39.0 / rate
    return math.ceil(reach + 3.0 / rate) + 1


def _call_parameters(pipe) -> set[str]:
    import inspect

    return set(inspect.signature(type(pipe).__call__).parameters)


def stable_audio_open(*, steps: int = 100, lazy: bool = True) -> TextToAudio:
    """Stable Audio Open 1.0 (Stability AI Community License; gated on the hub)."""
    return TextToAudio("stable-audio-open", steps=steps, lazy=lazy)


def audioldm2(*, steps: int = 100, lazy: bool = True) -> TextToAudio:
    """AudioLDM 2 (CC BY-NC-SA 4.0: non-commercial)."""
    return TextToAudio("audioldm2", steps=steps, lazy=lazy)
