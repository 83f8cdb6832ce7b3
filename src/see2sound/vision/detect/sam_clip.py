"""Regions: SAM automatic masks, each named by CLIP over sound-source names (``--detector sam-clip``).

What it does with a picture:

1. **Masks** (Segment Anything, Kirillov et al. 2023): the image is encoded
   once; a regular grid of ``points_per_side``² points prompts the mask
   decoder in batches; of each point's three candidate masks the one with
   the best predicted IoU is kept if that IoU is at least ``min_iou`` and
   the mask is stable (its area hardly changes when the logit threshold
   moves from -1 to +1: ``min_stability``). Overlapping masks are reduced by
   box non-maximum suppression; specks and masks covering most of the
   picture (sky, floor, walls) are dropped.
2. **Labels** (CLIP, Radford et al. 2021, zero-shot): each mask's box is
   cut out with the pixels outside the mask greyed, padded square and
   compared with "a photo of a {name}." for every label of the project's
   vocabulary plus common background names ("sky", "road", "wall" ...).
   The label is the most probable name; a mask whose name is background or
   whose probability is below ``min_label_p`` is not a detection.
3. Each detection carries its mask, so a source is placed at the mask's
   sound-emitting point and a learned depth is read under the mask
   (:mod:`see2sound.vision.sources`, :mod:`.depth`).

``top_by_area`` keeps only the largest labelled masks (the published
method kept the top three by area).

Own implementation of the automatic mask generator's steps on
transformers' ``SamModel`` (its ``mask-generation`` pipeline needs
torchvision, which is not part of the extra).

Licences: SAM weights Apache-2.0; OpenAI CLIP weights MIT.

Contents
--------
SamClipDetector, BACKGROUND
"""

from __future__ import annotations

import numpy as np

from .base import Detection, Detector, nms
from ..vocabulary import KINDS
from ...runtime import IMAGENET_MEAN, IMAGENET_STD, device, load_model, load_tokenizer, pixels, release, require

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

#: Names CLIP may give a region that is not an object: such a region is dropped.
BACKGROUND = ("sky", "road", "street", "wall", "floor", "ceiling", "ground", "grass", "tree", "building",
              "water", "sand", "window", "door", "field", "mountain", "cloud", "fence", "pavement", "shadow")
#: How the vocabulary's labels read in a prompt, where the label alone is unclear.
PHRASES = {"tv": "television", "vehicle": "vehicle", "sports ball": "ball", "cell phone": "mobile phone",
           "mouse": "computer mouse", "remote": "remote control", "hair drier": "hair dryer"}
CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)
MIN_AREA = 0.002  # of the picture
MAX_AREA = 0.8
NMS_IOU = 0.7
CONTEXT = 0.1  # the crop shown to CLIP reaches this fraction of the box beyond it


class SamClipDetector(Detector):
    """A :class:`~see2sound.vision.detect.Detector` whose detections carry masks."""

    name = "sam-clip"
    labels = frozenset(KINDS)

    def __init__(self, sam: str = "sam-vit-base", clip: str = "clip-vit-base", *, points_per_side: int = 16,
                 points_per_batch: int = 32, min_iou: float = 0.88, min_stability: float = 0.92,
                 min_label_p: float = 0.2, top_by_area: int | None = None):
        torch, transformers = require()
        self.sam_id, self.clip_id = SAM_MODELS.get(sam, sam), CLIP_MODELS.get(clip, clip)
        self.sam = load_model(transformers.SamModel, self.sam_id)
        self.clip = load_model(transformers.CLIPModel, self.clip_id)
        self.tokenizer = load_tokenizer(self.clip_id)
        self.device, self.dtype = device()
        self.points_per_side, self.points_per_batch = points_per_side, points_per_batch
        self.min_iou, self.min_stability, self.min_label_p = min_iou, min_stability, min_label_p
        self.top_by_area = top_by_area
        self.names = [n for n in KINDS if n not in ("crowd",)] + list(BACKGROUND)
        self._text = None

    def release(self) -> None:
        """Free the models (low-memory mode, once the picture is analysed); the detector is then spent."""
        self.sam = self.clip = self._text = None
        release()

    # -- masks -------------------------------------------------------------------------------------------------------

    def masks(self, rgb: np.ndarray) -> list[tuple[np.ndarray, float]]:
        """(boolean mask [shape=(h, w)], predicted IoU) for each region SAM finds, best first."""
        import torch

        h, w = rgb.shape[:2]
        side = int(self.sam.config.vision_config.image_size)
        ratio = side / max(h, w)
        rh, rw = max(1, int(round(h * ratio))), max(1, int(round(w * ratio)))
        x = pixels(rgb, IMAGENET_MEAN, IMAGENET_STD)
        x = torch.nn.functional.interpolate(x, size=(rh, rw), mode="bilinear", align_corners=False)
        x = torch.nn.functional.pad(x, (0, side - rw, 0, side - rh))
        n = self.points_per_side
        grid = (np.arange(n) + 0.5) / n
        points = np.stack(np.meshgrid(grid * w, grid * h), -1).reshape(-1, 2)
        found: list[tuple[np.ndarray, float, float]] = []  # (mask, iou, stability)
        with torch.no_grad():
            embeddings = self.sam.get_image_embeddings(x.to(self.device, self.dtype))
            for start in range(0, len(points), self.points_per_batch):
                batch = torch.from_numpy(points[start:start + self.points_per_batch] * ratio).float()
                out = self.sam(image_embeddings=embeddings, input_points=batch[None, :, None].to(self.device),
                               input_labels=torch.ones(1, len(batch), 1, dtype=torch.long, device=self.device),
                               multimask_output=True)
                ious = out.iou_scores[0].float()  # (points, 3)
                best = ious.argmax(-1)
                logits = out.pred_masks[0].float()[torch.arange(len(batch)), best]  # (points, lh, lw)
                keep = ious[torch.arange(len(batch)), best] >= self.min_iou
                if not keep.any():
                    continue
                logits = logits[keep]
                # Low-resolution logits cover the padded square: up to it, crop the picture, down to its size.
                up = torch.nn.functional.interpolate(logits[:, None], size=(side, side), mode="bilinear",
                                                     align_corners=False)[:, :, :rh, :rw]
                up = torch.nn.functional.interpolate(up, size=(h, w), mode="bilinear", align_corners=False)[:, 0]
                high, low = (up > 1.0).sum((1, 2)).float(), (up > -1.0).sum((1, 2)).float()
                stability = (high / low.clamp(min=1)).cpu().numpy()
                for mask, iou, stable in zip((up > 0).cpu().numpy(), ious[keep].max(-1).values.cpu().numpy(),
                                             stability):
                    if stable >= self.min_stability:
                        found.append((mask, float(iou), float(stable)))
        area = float(h * w)
        found = [f for f in found if MIN_AREA <= f[0].sum() / area <= MAX_AREA]
        boxes = [Detection(_bounds(m), "", iou * s) for m, iou, s in found]
        kept = {id(d) for d in nms(boxes, NMS_IOU, class_aware=False)}
        return [(m, iou) for (m, iou, _), d in sorted(zip(found, boxes), key=lambda p: -p[1].score)
                if id(d) in kept]

    # -- labels ------------------------------------------------------------------------------------------------------

    def _text_features(self):
        import torch

        if self._text is None:
            prompts = [f"a photo of a {PHRASES.get(n, n)}." for n in self.names]
            tokens = self.tokenizer(prompts, padding=True, return_tensors="pt")
            with torch.no_grad():
                feats = self.clip.get_text_features(input_ids=tokens["input_ids"].to(self.device),
                                                    attention_mask=tokens["attention_mask"].to(self.device))
            feats = _pooled(feats).float()
            self._text = feats / feats.norm(dim=-1, keepdim=True)
        return self._text

    def label(self, rgb: np.ndarray, masks: list[np.ndarray]) -> list[tuple[str, float]]:
        """(name, probability) for each mask, over :attr:`names`."""
        import torch

        if not masks:
            return []
        side = int(self.clip.config.vision_config.image_size)
        x = pixels(np.stack([_crop(rgb, m, side) for m in masks]), CLIP_MEAN, CLIP_STD)
        with torch.no_grad():
            feats = _pooled(self.clip.get_image_features(pixel_values=x.to(self.device, self.dtype))).float()
            feats = feats / feats.norm(dim=-1, keepdim=True)
            logits = self.clip.logit_scale.exp().float() * feats @ self._text_features().T
            probs = logits.softmax(-1).cpu().numpy()
        return [(self.names[int(p.argmax())], float(p.max())) for p in probs]

    # -- the detector ------------------------------------------------------------------------------------------------

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        regions = self.masks(rgb)
        named = self.label(rgb, [m for m, _ in regions])
        found = []
        for (mask, iou), (name, p) in zip(regions, named):
            if name not in KINDS or p < self.min_label_p:
                continue
            x0, y0, x1, y1 = _bounds(mask)
            crop = mask[int(y0):int(y1), int(x0):int(x1)]
            found.append(Detection((x0, y0, x1, y1), name, p, self.name, mask=crop))
        if self.top_by_area is not None:
            found = sorted(found, key=lambda d: -int(d.mask.sum()))[:self.top_by_area]
        return found


def _pooled(features):
    """transformers 5 may return a model output where 4.x returned the projected tensor."""
    return getattr(features, "pooler_output", features)


def _bounds(mask: np.ndarray) -> tuple[float, float, float, float]:
    """The mask's box, x0 y0 inclusive and x1 y1 exclusive, in pixels."""
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if rows.size == 0:
        return 0.0, 0.0, 0.0, 0.0
    return float(cols[0]), float(rows[0]), float(cols[-1] + 1), float(rows[-1] + 1)


def _crop(rgb: np.ndarray, mask: np.ndarray, side: int) -> np.ndarray:
    """The mask's box with some context, outside the mask greyed, padded square, ``side`` pixels."""
    from PIL import Image

    h, w = mask.shape
    x0, y0, x1, y1 = _bounds(mask)
    mx, my = (x1 - x0) * CONTEXT, (y1 - y0) * CONTEXT
    c0, r0 = int(max(0, x0 - mx)), int(max(0, y0 - my))
    c1, r1 = int(min(w, x1 + mx)), int(min(h, y1 + my))
    patch = rgb[r0:r1, c0:c1].astype(np.float32)
    grey = (CLIP_MEAN * 255.0)[None, None]
    inside = mask[r0:r1, c0:c1, None]
    patch = np.where(inside, patch, 0.5 * patch + 0.5 * grey)
    size = max(patch.shape[:2])
    square = np.broadcast_to(grey, (size, size, 3)).copy()
    top, left = (size - patch.shape[0]) // 2, (size - patch.shape[1]) // 2
    square[top:top + patch.shape[0], left:left + patch.shape[1]] = patch
    image = Image.fromarray(square.clip(0, 255).astype(np.uint8))
    return np.asarray(image.resize((side, side), Image.Resampling.BICUBIC))
