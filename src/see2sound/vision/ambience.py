"""What the place sounds like where no detector looks: sky, foliage, water, streets, rooms.

The picture is reduced to a few interpretable measurements, each a fraction
of the frame:

- ``sky``: smooth, bright, blue or pale pixels in the upper half;
- ``foliage``: textured green or yellow-green pixels;
- ``water``: blue or cyan pixels in the lower half (the sky cannot be there);
- ``built``: how much of the picture's strong edges run vertical (walls,
  window frames, posts: man-made structure; a landscape's horizon is
  horizontal and foliage has no preferred direction);
- ``grey``: unsaturated pixels (asphalt, concrete, stone);
- ``dark``: mean brightness (night).

A greyscale picture carries no colour evidence: sky, foliage, water, grey
and warmth are then left out and structure and detections decide.

plus what was detected (vehicles and people outdoors suggest a street;
furniture and appliances a room; animals the country). Each kind gets a
score, a linear sum of these with signs a reader can check below, and a
softmax over the scores gives the confidence.

Contents
--------
KINDS, describe, classify_ambience
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

AMBIENCE_KINDS = ("outdoor-nature", "urban-street", "indoor-room", "water-shore")
_STREET = {"car", "bus", "truck", "motorcycle", "bicycle", "vehicle", "traffic light", "stop sign",
           "fire hydrant", "parking meter"}
_ROOM = {"chair", "couch", "bed", "table", "tv", "laptop", "mouse", "keyboard", "microwave", "oven",
         "toaster", "sink", "refrigerator", "toilet", "book", "clock", "cup", "potted plant", "vase",
         "remote", "cell phone", "bottle", "wine glass"}
_COUNTRY = {"bird", "cow", "sheep", "horse", "elephant", "bear", "zebra", "giraffe"}
_WATER = {"boat", "surfboard"}
SOFTMAX_TEMPERATURE = 0.35


def describe(rgb: np.ndarray) -> dict[str, float]:
    """The measurements above for an RGB uint8 picture [shape=(h, w, 3)]."""
    step = max(1, max(rgb.shape[:2]) // 160)
    img = rgb[::step, ::step].astype(np.float64) / 255.0
    r, g, b = img[..., 0], img[..., 1], img[..., 2]
    mx, mn = img.max(axis=2), img.min(axis=2)
    sat = np.where(mx > 0, (mx - mn) / np.maximum(mx, 1e-9), 0.0)
    hue = _hue_deg(r, g, b, mx, mn)
    lum = 0.299 * r + 0.587 * g + 0.114 * b
    gx, gy = ndimage.sobel(lum, axis=1), ndimage.sobel(lum, axis=0)
    grad = np.hypot(gx, gy)
    texture = ndimage.uniform_filter(grad, size=3)
    h = img.shape[0]
    rows = np.arange(h)[:, None] / h
    upper, lower = rows < 0.5, rows >= 0.5
    smooth = texture < 0.12
    blue = (hue > 185) & (hue < 255) & (sat > 0.15) & (mx > 0.35)
    pale = (sat < 0.12) & (mx > 0.75)
    greenish = (hue > 55) & (hue < 165) & (sat > 0.2) & (mx > 0.12)
    strong = grad > np.percentile(grad, 90)
    angle = np.degrees(np.arctan2(gy, gx)) % 180.0
    vertical_edge = np.minimum(angle, 180 - angle) < 10  # gradient across = edge upright
    colourless = float(np.mean(sat)) < 0.03
    return {
        "sky": float(np.mean(upper & smooth & (blue | pale))) * 2.0,
        "foliage": float(np.mean(greenish & (texture > 0.08))),
        "water": float(np.mean(lower & blue & (texture < 0.35))) * 2.0,
        "built": float(np.mean(vertical_edge[strong])) if strong.any() else 0.0,
        "grey": float(np.mean(sat < 0.12)),
        "dark": float(1.0 - np.mean(lum)),
        "warm": float(np.mean(r) - np.mean(b)),
        "colourless": float(colourless),
    }


def _hue_deg(r, g, b, mx, mn) -> np.ndarray:
    d = np.maximum(mx - mn, 1e-9)
    hue = np.where(mx == r, ((g - b) / d) % 6, np.where(mx == g, (b - r) / d + 2, (r - g) / d + 4))
    return hue * 60.0


def classify_ambience(rgb: np.ndarray, labels: list[str]) -> tuple[str, float, dict[str, float]]:
    """(kind, confidence in 0..1, the measurements) for a picture and its detected labels."""
    f = describe(rgb)
    if f["colourless"]:
        for key in ("sky", "foliage", "water", "grey", "warm"):
            f[key] = 0.0
    n = max(1, len(labels))
    street = sum(label in _STREET for label in labels) / n
    room = sum(label in _ROOM for label in labels) / n
    country = sum(label in _COUNTRY for label in labels) / n
    water = sum(label in _WATER for label in labels) / n
    people = sum(label == "person" for label in labels) / n
    # "built" is ~0.11 for directionless texture and approaches 1 for facades.
    structure = float(np.clip((f["built"] - 0.12) / 0.25, 0.0, 1.0))
    sky = min(1.0, f["sky"] * 2.0)
    scores = {
        "outdoor-nature": 3.0 * f["foliage"] + 0.8 * sky * (1.0 - structure) + 1.5 * country
        - 1.0 * street - 1.0 * room,
        "urban-street": 1.2 * structure * (0.3 + sky) + 0.4 * f["grey"] + 2.0 * street + 0.3 * people
        - 2.0 * f["foliage"] - 1.0 * room,
        "indoor-room": 1.2 * structure * (1.0 - sky) + 1.5 * max(0.0, f["warm"]) + 2.0 * room
        - 1.5 * sky - 2.0 * f["foliage"] - 1.5 * street,
        "water-shore": 3.0 * f["water"] + 0.5 * sky * (1.0 - structure) + 2.0 * water - 1.0 * f["foliage"],
    }
    keys = list(scores)
    z = np.array([scores[k] for k in keys]) / SOFTMAX_TEMPERATURE
    p = np.exp(z - z.max())
    p /= p.sum()
    best = int(np.argmax(p))
    return keys[best], float(p[best]), f
