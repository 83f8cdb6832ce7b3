"""Tiny randomly initialised hub models, built from configs in code and saved to folders (offline).

Each builds in well under a second; the stages load them like hub weights.
"""

import re

import pytest

from tests.helpers import need

torch = need("torch", "hub")
transformers = need("transformers", "hub")


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

    from see2sound.vision.detect.sam_clip import BACKGROUND, PHRASES
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


@pytest.fixture(scope="session")
def tiny_audioldm2(tmp_path_factory):
    """An AudioLDM 2 pipeline with every part tiny (16 kHz vocoder, 0.26 s trained length).

    Its tokenizers are built in code: a BPE one saved as RoBERTa's, a Unigram
    one as T5's (what their classes load back).
    """
    import diffusers
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    words = [w for w in WORDS if not w.startswith("<")] + [",", "(", ")"]
    torch.manual_seed(0)
    roberta_vocab = {w: i for i, w in enumerate(["<s>", "<pad>", "</s>", "<unk>", *words])}
    roberta = Tokenizer(models.BPE(roberta_vocab, [], unk_token="<unk>"))
    roberta.pre_tokenizer = pre_tokenizers.Whitespace()
    roberta.post_processor = processors.TemplateProcessing(single="<s> $A </s>",
                                                           special_tokens=[("<s>", 0), ("</s>", 2)])
    t5 = Tokenizer(models.Unigram([(w, -float(i)) for i, w in enumerate(["<pad>", "</s>", "<unk>", *words])],
                                  unk_id=2))
    t5.pre_tokenizer = pre_tokenizers.Metaspace()
    t5.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    clap_text = transformers.ClapTextConfig(bos_token_id=0, eos_token_id=2, hidden_size=8, intermediate_size=37,
                                            num_attention_heads=1, num_hidden_layers=1, pad_token_id=1,
                                            vocab_size=100, projection_dim=8)
    clap_audio = transformers.ClapAudioConfig(spec_size=8, window_size=4, num_mel_bins=8, intermediate_size=37,
                                              depths=[1, 1], num_attention_heads=[1, 1], num_hidden_layers=1,
                                              hidden_size=192, projection_dim=8)
    language_model = transformers.GPT2LMHeadModel(transformers.GPT2Config(n_embd=16, n_head=2, n_layer=2,
                                                                          vocab_size=100, n_positions=99))
    language_model.config.max_new_tokens = 8
    pipe = diffusers.AudioLDM2Pipeline(
        vae=diffusers.AutoencoderKL(block_out_channels=[8, 16], in_channels=1, out_channels=1, norm_num_groups=8,
                                    down_block_types=["DownEncoderBlock2D"] * 2,
                                    up_block_types=["UpDecoderBlock2D"] * 2, latent_channels=4),
        text_encoder=transformers.ClapModel(transformers.ClapConfig(text_config=clap_text.to_dict(),
                                                                    audio_config=clap_audio.to_dict(),
                                                                    projection_dim=8)),
        text_encoder_2=transformers.T5EncoderModel(transformers.T5Config(vocab_size=100, d_model=32, d_ff=37, d_kv=8,
                                                                         num_heads=2, num_layers=2)),
        projection_model=diffusers.AudioLDM2ProjectionModel(text_encoder_dim=8, text_encoder_1_dim=32,
                                                            langauge_model_dim=16),
        language_model=language_model,
        tokenizer=transformers.RobertaTokenizerFast(tokenizer_object=roberta, bos_token="<s>", eos_token="</s>",
                                                    pad_token="<pad>", unk_token="<unk>", model_max_length=77),
        tokenizer_2=transformers.T5TokenizerFast(tokenizer_object=t5, pad_token="<pad>", eos_token="</s>",
                                                 unk_token="<unk>", model_max_length=77),
        feature_extractor=transformers.ClapFeatureExtractor(hop_length=7900),
        unet=diffusers.AudioLDM2UNet2DConditionModel(
            block_out_channels=(8, 16), layers_per_block=1, norm_num_groups=8, sample_size=32, in_channels=4,
            out_channels=4, down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=(8, 16)),
        scheduler=diffusers.DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                                          clip_sample=False, set_alpha_to_one=False),
        vocoder=transformers.SpeechT5HifiGan(transformers.SpeechT5HifiGanConfig(
            model_in_dim=8, sampling_rate=16000, upsample_initial_channel=16, upsample_rates=[2, 2],
            upsample_kernel_sizes=[4, 4], resblock_kernel_sizes=[3, 7],
            resblock_dilation_sizes=[[1, 3, 5], [1, 3, 5]], normalize_before=False)))
    folder = tmp_path_factory.mktemp("tiny-audioldm2")
    pipe.save_pretrained(folder)
    return folder
