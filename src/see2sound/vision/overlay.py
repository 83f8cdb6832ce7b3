"""A picture of what was found: boxes and positions, and a map around the listener.

Left: the picture with each source's box, label, and azimuth / elevation /
distance. Right: a top-down map, listener at the centre facing up (front),
left on the left, rings at 1, 3, 10 and 30 m on a logarithmic radius, each
source a dot (wide sources an arc) in the colour of its box.
"""

from __future__ import annotations

import math
import os

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..io.files import atomic_output
from ..scene import Scene

MAP_SIZE = 420
RINGS_M = (1.0, 3.0, 10.0, 30.0)
MAX_RADIUS_M = 60.0
COLOURS = [(230, 25, 75), (60, 180, 75), (255, 190, 25), (0, 130, 200), (245, 130, 48), (145, 30, 180),
           (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212)]


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1
        return ImageFont.load_default()


def _radius(distance_m: float, r_max: float) -> float:
    return r_max * math.log1p(distance_m) / math.log1p(MAX_RADIUS_M)


def render_overlay(rgb: np.ndarray, scene: Scene, scale: float) -> Image.Image:
    """The overlay for an analysis picture ``rgb`` (``scale`` = its pixels per original pixel)."""
    pic = Image.fromarray(rgb).convert("RGB")
    fit = min(1.0, 900.0 / max(pic.size))
    if fit < 1.0:
        pic = pic.resize((round(pic.width * fit), round(pic.height * fit)), Image.Resampling.BILINEAR)
    k = scale * fit
    height = max(pic.height, MAP_SIZE)
    canvas = Image.new("RGB", (pic.width + MAP_SIZE, height), (24, 24, 28))
    canvas.paste(pic, (0, 0))
    draw = ImageDraw.Draw(canvas)
    font = _font(max(11, pic.width // 60))
    for i, src in enumerate(scene.sources):
        colour = COLOURS[i % len(COLOURS)]
        p = src.position
        text = f"{src.label or src.id} {p.azimuth_deg:+.0f}\u00b0 {p.elevation_deg:+.0f}\u00b0 {p.distance_m:.1f} m"
        if src.box:
            x0, y0, x1, y1 = (v * k for v in src.box)
            draw.rectangle((x0, y0, x1, y1), outline=colour, width=max(2, pic.width // 300))
            tw = draw.textlength(text, font=font)
            ty = max(0, y0 - font.size - 4)
            draw.rectangle((x0, ty, x0 + tw + 6, ty + font.size + 4), fill=colour)
            draw.text((x0 + 3, ty + 2), text, fill=(0, 0, 0), font=font)
    _draw_map(draw, scene, pic.width, (height - MAP_SIZE) // 2, font)
    return canvas


def _draw_map(draw: ImageDraw.ImageDraw, scene: Scene, left: int, top: int, font) -> None:
    cx, cy = left + MAP_SIZE / 2, top + MAP_SIZE / 2
    r_max = MAP_SIZE / 2 - 24
    for ring in RINGS_M:
        r = _radius(ring, r_max)
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(80, 80, 90))
        draw.text((cx + 3, cy - r - font.size - 1), f"{ring:g} m", fill=(140, 140, 150), font=font)
    draw.line((cx, cy - r_max, cx, cy + r_max), fill=(60, 60, 70))
    draw.line((cx - r_max, cy, cx + r_max, cy), fill=(60, 60, 70))
    draw.text((cx - 14, top + 2), "front", fill=(200, 200, 210), font=font)
    draw.text((left + 4, cy - font.size - 2), "left", fill=(200, 200, 210), font=font)
    draw.polygon([(cx, cy - 9), (cx - 6, cy + 6), (cx + 6, cy + 6)], fill=(255, 255, 255))
    for i, src in enumerate(scene.sources):
        colour = COLOURS[i % len(COLOURS)]
        p = src.position
        r = _radius(p.distance_m, r_max)
        # Azimuth is counter-clockwise from the front: +90 (left) is drawn on the left.
        a = math.radians(p.azimuth_deg)
        x, y = cx - r * math.sin(a), cy - r * math.cos(a)
        if src.spread_deg > 0:
            start = -90 - p.azimuth_deg - src.spread_deg / 2
            draw.arc((cx - r, cy - r, cx + r, cy + r), start, start + src.spread_deg, fill=colour, width=5)
        draw.ellipse((x - 6, y - 6, x + 6, y + 6), fill=colour, outline=(255, 255, 255))
        draw.text((x + 8, y - font.size / 2), src.id, fill=colour, font=font)


def save_overlay(path: str | os.PathLike, rgb: np.ndarray, scene: Scene, scale: float) -> None:
    """Write the overlay as PNG, atomically."""
    image = render_overlay(rgb, scene, scale)
    with atomic_output(path) as tmp:
        image.save(tmp, format="PNG")
