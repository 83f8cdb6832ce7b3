"""Quality mode: learned models from the Hugging Face hub, when the user has them.

Nothing here is imported on the offline path. Needs ``pip install
"see2sound[hub]"`` (torch, transformers, diffusers) and, for real weights, a network
connection once (weights are cached by huggingface_hub) or a cache that
already holds them.

Stages available: ``depth`` (Depth Anything V2, metric) and ``sound``
(text-to-audio, Stable Audio Open). Regions (SAM + CLIP), AudioLDM 2 and the
``paper`` preset are not implemented yet.

Contents
--------
runtime   device choice, loading with a fast, clear failure when offline
depth     DepthAnythingEstimator, a DepthEstimator for ``analyze``
sound     TextToAudio, generated sounds for ``assign_sounds``
"""

#: Model ids by stage name, with their licences (README, "Quality mode").
DEPTH_MODELS = {
    "depth-anything-outdoor": "depth-anything/Depth-Anything-V2-Metric-Outdoor-Small-hf",
    "depth-anything-indoor": "depth-anything/Depth-Anything-V2-Metric-Indoor-Small-hf",
}
