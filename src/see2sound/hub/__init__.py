"""Quality mode: learned models from the Hugging Face hub, when the user has them.

Nothing here is imported on the offline path. Needs ``pip install
"see2sound[hub]"`` (torch, transformers, diffusers) and, for real weights, a network
connection once (weights are cached by huggingface_hub) or a cache that
already holds them.

Stages: ``regions`` (SAM masks named by CLIP), ``depth`` (Depth Anything V2,
metric or relative) and ``sound`` (text-to-audio, Stable Audio Open).

Contents
--------
runtime   device choice, loading with a fast, clear failure when offline
depth     DepthAnythingEstimator, a DepthEstimator for ``analyze``
regions   SamClipDetector, a Detector whose detections carry masks
sound     TextToAudio, generated sounds for ``assign_sounds``
"""

#: Segment Anything checkpoints (Apache-2.0).
SAM_MODELS = {
    "sam-vit-base": "facebook/sam-vit-base",
    "sam-vit-large": "facebook/sam-vit-large",
    "sam-vit-huge": "facebook/sam-vit-huge",
}
#: CLIP checkpoints (OpenAI, MIT).
CLIP_MODELS = {
    "clip-vit-base": "openai/clip-vit-base-patch32",
    "clip-vit-large": "openai/clip-vit-large-patch14",
}

#: Model ids by stage name, with their licences (README, "Quality mode").
DEPTH_MODELS = {
    "depth-anything-outdoor": "depth-anything/Depth-Anything-V2-Metric-Outdoor-Small-hf",
    "depth-anything-indoor": "depth-anything/Depth-Anything-V2-Metric-Indoor-Small-hf",
    "depth-anything-relative": "depth-anything/Depth-Anything-V2-Small-hf",
}
