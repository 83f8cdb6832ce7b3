"""Quality mode's cost on this machine, with the real architectures and random weights. Not a test: run it.

    pip install -e ".[hub]" && python benchmarks/bench_hub.py [--steps N]

The hub cannot be reached here, so the real weights cannot be fetched; but
time and memory depend on the architecture, not on the weights' values. This
builds Depth Anything V2 Metric Small, SAM ViT-B, CLIP ViT-B/32 and Stable Audio Open 1.0 at their
published sizes (configs below), randomly initialised, saves them to a
temporary folder, and runs them through see2sound's own loading and stages:

- depth: one 1080p photo through ``DepthAnythingEstimator``;
- regions: the same photo through ``SamClipDetector`` (SAM ViT-B, CLIP
  ViT-B/32, 256 prompt points), every mask let through;
- sound: 4 sources x 10 s in one batch through ``TextToAudio`` with ``--steps``
  (default 4) diffusion steps; the time for 100 steps (the default) is
  extrapolated from the time per step, measured after the first.

The audio made is noise (random weights); only the cost is measured.
Writes benchmarks/results-hub.md.
"""

from __future__ import annotations

import argparse
import platform
import re
import tempfile
import time
from pathlib import Path

from report import ROOT, peak_mb, write_results

PHOTO = ROOT / "tests/data/photos/bus.jpg"

#: Stable Audio Open 1.0's component configs (its model repository's config.json files).
SAO_TRANSFORMER = dict(sample_size=1024, in_channels=64, num_layers=24, attention_head_dim=64, num_attention_heads=24,
                       num_key_value_attention_heads=12, out_channels=64, cross_attention_dim=768,
                       time_proj_dim=256, global_states_input_dim=1536, cross_attention_input_dim=768)
SAO_VAE = dict(encoder_hidden_size=128, downsampling_ratios=[2, 4, 4, 8, 8], channel_multiples=[1, 2, 4, 8, 16],
               decoder_channels=128, decoder_input_channels=64, audio_channels=2, sampling_rate=44100)
T5_BASE = dict(vocab_size=32128, d_model=768, d_kv=64, d_ff=3072, num_layers=12, num_heads=12)


def build_stable_audio(folder: Path) -> None:
    import diffusers
    import torch
    import transformers
    from tokenizers import Tokenizer, models, pre_tokenizers

    words = "<pad> </s> <unk> the sound of a dog bus car person field recording".split()
    tok = Tokenizer(models.Unigram([(w, -float(i)) for i, w in enumerate(words)], unk_id=2))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    torch.manual_seed(0)
    pipe = diffusers.StableAudioPipeline(
        transformer=diffusers.StableAudioDiTModel(**SAO_TRANSFORMER),
        scheduler=diffusers.CosineDPMSolverMultistepScheduler(sigma_min=0.3, sigma_max=500, solver_order=2,
                                                              prediction_type="v_prediction", sigma_data=1.0,
                                                              sigma_schedule="exponential"),
        vae=diffusers.AutoencoderOobleck(**SAO_VAE),
        text_encoder=transformers.T5EncoderModel(transformers.T5Config(**T5_BASE)),
        tokenizer=transformers.T5TokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>",
                                               unk_token="<unk>", model_max_length=128),
        projection_model=diffusers.StableAudioProjectionModel(text_encoder_dim=768, conditioning_dim=768,
                                                              min_value=0, max_value=512))
    pipe.save_pretrained(folder)


def build_depth(folder: Path) -> None:
    import torch
    import transformers

    backbone = transformers.Dinov2Config(hidden_size=384, num_hidden_layers=12, num_attention_heads=6,
                                         image_size=518, patch_size=14, reshape_hidden_states=False,
                                         out_features=["stage3", "stage6", "stage9", "stage12"])
    config = transformers.DepthAnythingConfig(backbone_config=backbone, reassemble_hidden_size=384, patch_size=14,
                                              neck_hidden_sizes=[48, 96, 192, 384], fusion_hidden_size=64,
                                              head_hidden_size=32, depth_estimation_type="metric", max_depth=80)
    torch.manual_seed(0)
    transformers.DepthAnythingForDepthEstimation(config).save_pretrained(folder)


def build_regions(sam_dir: Path, clip_dir: Path) -> None:
    """SAM ViT-B and CLIP ViT-B/32: transformers' default configs are these models' sizes."""
    import torch
    import transformers
    from tokenizers import Tokenizer, models, pre_tokenizers

    from see2sound.vision.detect.sam_clip import BACKGROUND, PHRASES
    from see2sound.vision.vocabulary import KINDS

    torch.manual_seed(0)
    transformers.SamModel(transformers.SamConfig()).save_pretrained(sam_dir)
    words = sorted({w for n in [*KINDS, *BACKGROUND, *PHRASES.values()]
                    for w in re.findall(r"\w+|[^\w\s]", f"a photo of a {n}.")})
    vocab = {w: i for i, w in enumerate(["<pad>", "<unk>", "<s>", "</s>", *words])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    config = transformers.CLIPConfig()
    config.text_config.vocab_size = 49408
    transformers.CLIPModel(config).save_pretrained(clip_dir)
    transformers.PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", unk_token="<unk>",
                                        bos_token="<s>", eos_token="</s>").save_pretrained(clip_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4)
    args = parser.parse_args()
    import torch

    from see2sound.vision.depth.depth_anything import DepthAnythingEstimator
    from see2sound.sound.generate import TextToAudio
    from see2sound.vision import analyze_picture

    rows = []
    with tempfile.TemporaryDirectory(prefix="see2sound-bench-hub-") as tmp:
        depth_dir, sao_dir = Path(tmp) / "depth", Path(tmp) / "sao"
        build_depth(depth_dir)
        t = time.perf_counter()
        estimator = DepthAnythingEstimator(str(depth_dir))
        load_s = time.perf_counter() - t
        analyze_picture(PHOTO, depth=estimator)  # warm-up
        t = time.perf_counter()
        analyze_picture(PHOTO, depth=estimator)
        n_params = sum(p.numel() for p in estimator.model.parameters()) / 1e6
        rows.append((f"Depth Anything V2 Metric Small ({n_params:.1f} M parameters)",
                     f"load {load_s:.1f} s; analyse bus.jpg (810x1080) with depth {time.perf_counter() - t:.2f} s"))
        del estimator

        from see2sound.vision.detect.sam_clip import SamClipDetector

        sam_dir, clip_dir = Path(tmp) / "sam", Path(tmp) / "clip"
        build_regions(sam_dir, clip_dir)
        t = time.perf_counter()
        # Random weights predict low IoUs: let every mask through, so the cost is that of a busy picture.
        detector = SamClipDetector(str(sam_dir), str(clip_dir), min_iou=0.0, min_stability=0.0, min_label_p=0.0)
        load_s = time.perf_counter() - t
        t = time.perf_counter()
        analysis = analyze_picture(PHOTO, detector=detector)
        n_params = sum(p.numel() for m in (detector.sam, detector.clip) for p in m.parameters()) / 1e6
        rows.append((f"SAM ViT-B + CLIP ViT-B/32 ({n_params:.0f} M parameters), 16 x 16 points",
                     f"load {load_s:.1f} s; analyse bus.jpg (810x1080): {time.perf_counter() - t:.1f} s "
                     f"({len(analysis.detections)} labelled masks)"))
        detector.release()

        build_stable_audio(sao_dir)
        t = time.perf_counter()
        t2a = TextToAudio(str(sao_dir), steps=1)
        load_s = time.perf_counter() - t
        n_params = sum(p.numel() for m in (t2a.pipe.transformer, t2a.pipe.vae, t2a.pipe.text_encoder)
                       for p in m.parameters()) / 1e9
        prompts = [f"the sound of a {w}, field recording" for w in ("dog", "bus", "car", "person")]
        t = time.perf_counter()
        t2a.generate(prompts, [1, 2, 3, 4], 10.0, 48000)
        one_s = time.perf_counter() - t
        t2a.steps = args.steps
        t = time.perf_counter()
        clips = t2a.generate(prompts, [1, 2, 3, 4], 10.0, 48000)
        many_s = time.perf_counter() - t
        per_step = (many_s - one_s) / (args.steps - 1)
        fixed = one_s - per_step
        assert len(clips) == 4 and all(len(c) == 480000 for c in clips)
        rows.append((f"Stable Audio Open 1.0 ({n_params:.2f} B parameters)",
                     f"load {load_s:.1f} s; 4 sources x 10 s in one batch: {args.steps} steps {many_s:.1f} s "
                     f"({per_step:.1f} s a step + {fixed:.1f} s text encoding and decoding); "
                     f"100 steps about {fixed + 100 * per_step:.0f} s (extrapolated)"))
    rows.append(("peak memory of the process", f"{peak_mb():.0f} MB"))
    write_results("hub", "Quality mode cost (real architectures, random weights)",
                  f"Machine: {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, "
                  f"CPU only; torch {torch.__version__}. Command: `python benchmarks/bench_hub.py --steps {args.steps}`.",
                  ("model", "measured"), rows)


if __name__ == "__main__":
    main()
