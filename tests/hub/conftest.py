"""Tiny randomly initialised hub models, built from configs in code and saved to folders (offline).

Each builds in well under a second; the stages load them like hub weights.
"""

import re

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")


@pytest.fixture(scope="session")
def tiny_depth(tmp_path_factory):
    return _tiny_depth(tmp_path_factory, "metric")


@pytest.fixture(scope="session")
def tiny_relative_depth(tmp_path_factory):
    """Like the published method's Depth Anything: disparity, not metres."""
    return _tiny_depth(tmp_path_factory, "relative")


def _tiny_depth(tmp_path_factory, kind):
    backbone = transformers.Dinov2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                         intermediate_size=37, image_size=56, patch_size=14,
                                         out_features=["stage1", "stage2"], reshape_hidden_states=False)
    config = transformers.DepthAnythingConfig(backbone_config=backbone, reassemble_hidden_size=32, patch_size=14,
                                              neck_hidden_sizes=[16, 32], fusion_hidden_size=16, head_hidden_size=8,
                                              depth_estimation_type=kind, max_depth=20)
    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp(f"tiny-depth-anything-{kind}")
    transformers.DepthAnythingForDepthEstimation(config).save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_sam(tmp_path_factory):
    """SAM with a 128-pixel input and a 16-channel decoder."""
    vision = transformers.SamVisionConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                          intermediate_size=37, image_size=128, patch_size=16, output_channels=16,
                                          global_attn_indexes=[1], window_size=4, num_pos_feats=8, mlp_dim=37)
    prompt = transformers.SamPromptEncoderConfig(hidden_size=16, image_size=128, patch_size=16, mask_input_channels=4)
    decoder = transformers.SamMaskDecoderConfig(hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                                                mlp_dim=32, iou_head_hidden_dim=16)
    torch.manual_seed(0)
    model = transformers.SamModel(transformers.SamConfig(vision_config=vision, prompt_encoder_config=prompt,
                                                         mask_decoder_config=decoder))
    folder = tmp_path_factory.mktemp("tiny-sam")
    model.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_clip(tmp_path_factory):
    """CLIP with 32-pixel images and a word-level tokenizer that knows every prompt's words."""
    from tokenizers import Tokenizer, models, pre_tokenizers

    from see2sound.hub.regions import BACKGROUND, PHRASES
    from see2sound.vision.vocabulary import KINDS

    words = sorted({w for name in [*KINDS, *BACKGROUND, *PHRASES.values()]
                    for w in re.findall(r"\w+|[^\w\s]", f"a photo of a {name}.")})
    vocab = {w: i for i, w in enumerate(["<pad>", "<unk>", "<s>", "</s>", *words])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = transformers.PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", unk_token="<unk>",
                                                     bos_token="<s>", eos_token="</s>")
    config = transformers.CLIPConfig(
        text_config=dict(vocab_size=len(vocab), hidden_size=32, intermediate_size=37, num_hidden_layers=2,
                         num_attention_heads=2, max_position_embeddings=64, eos_token_id=3, bos_token_id=2,
                         pad_token_id=0),
        vision_config=dict(hidden_size=32, intermediate_size=37, num_hidden_layers=2, num_attention_heads=2,
                           image_size=32, patch_size=8),
        projection_dim=16)
    torch.manual_seed(0)
    model = transformers.CLIPModel(config)
    folder = tmp_path_factory.mktemp("tiny-clip")
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


WORDS = ("<pad> </s> <unk> the sound of a dog bark car engine cat bus person speech outdoors in nature on "
         "city street room indoors field recording").split()


@pytest.fixture(scope="session")
def tiny_stable_audio(tmp_path_factory):
    """A Stable Audio pipeline with every part tiny: 4 Hz audio, at most 2 s per clip."""
    import diffusers
    from tokenizers import Tokenizer, models, pre_tokenizers

    tok = Tokenizer(models.Unigram([(w, -float(i)) for i, w in enumerate(WORDS)], unk_id=2))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer = transformers.T5TokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>",
                                             unk_token="<unk>", model_max_length=25)
    torch.manual_seed(0)
    text_encoder = transformers.T5EncoderModel(transformers.T5Config(
        vocab_size=len(WORDS), d_model=8, d_kv=4, d_ff=16, num_layers=1, num_heads=2))
    transformer = diffusers.StableAudioDiTModel(
        sample_size=4, in_channels=3, num_layers=2, attention_head_dim=4, num_key_value_attention_heads=2,
        out_channels=3, cross_attention_dim=4, time_proj_dim=8, global_states_input_dim=8, cross_attention_input_dim=4)
    scheduler = diffusers.CosineDPMSolverMultistepScheduler(solver_order=2, prediction_type="v_prediction",
                                                            sigma_data=1.0, sigma_schedule="exponential")
    vae = diffusers.AutoencoderOobleck(encoder_hidden_size=6, downsampling_ratios=[1, 2], decoder_channels=3,
                                       decoder_input_channels=3, audio_channels=2, channel_multiples=[2, 4],
                                       sampling_rate=4)
    projection = diffusers.StableAudioProjectionModel(text_encoder_dim=8, conditioning_dim=4, min_value=0,
                                                      max_value=32)
    pipe = diffusers.StableAudioPipeline(transformer=transformer, scheduler=scheduler, vae=vae,
                                         text_encoder=text_encoder, tokenizer=tokenizer, projection_model=projection)
    folder = tmp_path_factory.mktemp("tiny-stable-audio")
    pipe.save_pretrained(folder)
    return folder
