"""Following tracked objects between detections, by their looks.

The detectors run on every ``detect_every``-th analysed picture
(:func:`~see2sound.video.track.analyze_video`); in between, each track's
box is moved to where its appearance is found again:

1. When a detection confirms a track, the middle of its box (a margin of
   :data:`INNER` on each side, so little background) is kept as a grey
   template from a small copy of the picture (:data:`SMALL_SIDE`).
2. On a later picture the template is looked for around where the box would
   be had it kept its velocity (the last two sightings'), up to
   :data:`SEARCH` times the template's longer side away, by normalised
   cross-correlation; a big template and the picture around it are first
   shrunk by a whole factor (:data:`TEMPLATE_SIDE`), so a search costs about
   the same whatever the size of the thing.
3. The best place counts when its correlation is at least :data:`MIN_NCC`:
   the box is the detected one, moved by the template's displacement (its
   size is kept until the next detection). A track whose looks are not found
   (it is hidden, or has left) gets no box on that picture, as when a
   detector misses it.

A track is followed for at most ``follow_s`` after its last detection
(default :data:`FOLLOW_S`; the analysis makes it the time between two
detections when that is longer), so only the detectors keep a track alive:
a patch of background the template comes to match is let go soon after a
detection misses it.

Contents
--------
Follower, match_template, SMALL_SIDE, INNER, SEARCH, MIN_NCC, FOLLOW_S, TEMPLATE_SIDE
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: The small picture the templates are matched in: its longer side, in pixels.
SMALL_SIDE = 640
#: The template is the box less this share of its width and height on each side.
INNER = 0.15
#: The search reaches this share of the template's longer side beyond where the velocity puts it (and 3 pixels at least).
SEARCH = 0.7
#: The least normalised cross-correlation at which the looks count as found.
MIN_NCC = 0.5
#: A track is followed this long after its last detection at most (s).
FOLLOW_S = 1.5
#: Sightings further apart than this (s) give no velocity.
OLDEST_VELOCITY_S = 1.5
#: Templates smaller than this (small-picture pixels, either side) are not followed: too few pixels to match.
MIN_TEMPLATE = 6
#: Templates are shrunk by whole factors until their shorter side is under twice this (small-picture pixels).
TEMPLATE_SIDE = 24


def match_template(image: np.ndarray, template: np.ndarray) -> np.ndarray:
    """Normalised cross-correlation of ``template`` [shape=(h, w)] at every place it fits in ``image``.

    ``image`` [shape=(H, W)], H >= h and W >= w, float. Returns [shape=(H - h + 1, W - w + 1)]
    in -1..1; 0 where the image is flat under the template. Computed by FFT, with the image's
    window sums from summed-area tables (Lewis, "Fast normalized cross-correlation", 1995).
    """
    image = np.asarray(image, dtype=np.float64)
    t = np.asarray(template, dtype=np.float64)
    h, w = t.shape
    t = t - t.mean()
    t_norm = np.sqrt((t * t).sum())
    rows, cols = image.shape[0] - h + 1, image.shape[1] - w + 1
    shape = image.shape
    spectrum = np.fft.rfft2(image, shape) * np.conj(np.fft.rfft2(t, shape))
    corr = np.fft.irfft2(spectrum, shape)[:rows, :cols]
    table = np.zeros((shape[0] + 1, shape[1] + 1))
    table2 = np.zeros_like(table)
    table[1:, 1:] = image.cumsum(0).cumsum(1)
    table2[1:, 1:] = (image * image).cumsum(0).cumsum(1)

    def window_sums(tab):
        return tab[h:h + rows, w:w + cols] - tab[:rows, w:w + cols] - tab[h:h + rows, :cols] + tab[:rows, :cols]

    s1, s2 = window_sums(table), window_sums(table2)
    variance = np.maximum(s2 - s1 * s1 / (h * w), 0.0)
    denominator = t_norm * np.sqrt(variance)
    flat = denominator < 1e-6 * max(1.0, h * w)
    return np.where(flat, 0.0, corr / np.where(flat, 1.0, denominator))


@dataclass
class _Looks:
    template: np.ndarray  # grey, small-picture pixels shrunk by ``factor``
    factor: int  # the template (and the picture searched) are block means of factor x factor small-picture pixels
    at: tuple[int, int]  # the template's top-left corner, small-picture pixels, when it was taken
    box: tuple[float, float, float, float]  # the detected box, display pixels
    t: float  # when it was detected
    last_box: tuple[float, float, float, float]  # the latest sighting (detected or followed)
    last_t: float
    velocity: tuple[float, float] = (0.0, 0.0)  # display pixels per second


def _shrink(grey: np.ndarray, factor: int) -> np.ndarray:
    """Block means of ``factor`` x ``factor`` pixels (the last rows and columns that do not fill a block are left out)."""
    if factor == 1:
        return grey
    h, w = grey.shape[0] // factor, grey.shape[1] // factor
    return grey[:h * factor, :w * factor].reshape(h, factor, w, factor).mean(axis=(1, 3))


class Follower:
    """Tracks' looks, taken at detections, found again on pictures in between.

    Boxes are (x0, y0, x1, y1) in display pixels; ``scale`` maps them to the
    small grey picture's pixels. A track is known by any hashable key (the
    tracker's id, or a detection's while the tracker has not confirmed it).
    """

    def __init__(self, follow_s: float = FOLLOW_S):
        self.follow_s = follow_s
        self._looks: dict = {}

    def reset(self) -> None:
        """Forget every track (a scene cut)."""
        self._looks.clear()

    def detected(self, key, box, t: float, grey: np.ndarray, scale: float) -> None:
        """``key`` was detected at ``box`` at time ``t``: take its looks from ``grey``."""
        old = self._looks.pop(key, None)
        x0, y0, x1, y1 = (v * scale for v in box)
        dx, dy = INNER * (x1 - x0), INNER * (y1 - y0)
        c0, r0 = max(0, int(round(x0 + dx))), max(0, int(round(y0 + dy)))
        c1, r1 = min(grey.shape[1], int(round(x1 - dx))), min(grey.shape[0], int(round(y1 - dy)))
        if min(c1 - c0, r1 - r0) < MIN_TEMPLATE:  # too small to be found again
            return
        # Big things are matched in a coarser picture: as sure, and the search costs the same whatever their size.
        factor = max(1, min(c1 - c0, r1 - r0) // TEMPLATE_SIDE)
        template = _shrink(grey[r0:r1, c0:c1], factor).astype(np.float32)
        if float(template.std()) < 1.0:  # flat: nothing to find it by
            return
        self._looks[key] = _Looks(template, factor, (c0, r0), tuple(box), t, tuple(box), t,
                                  self._velocity(old, box, t))

    def rename(self, old, new) -> None:
        """The looks kept as ``old`` are now ``new``'s (a new track got its id)."""
        looks = self._looks.pop(old, None)
        if looks is not None:
            self._looks[new] = looks

    def forget(self, key) -> None:
        self._looks.pop(key, None)

    def followed(self, key, box, t: float) -> None:
        """``key`` was last seen at ``box`` (a followed box the tracker took)."""
        looks = self._looks.get(key)
        if looks is not None:
            looks.velocity = self._velocity(looks, box, t)
            looks.last_box, looks.last_t = tuple(box), t

    @staticmethod
    def _velocity(looks: _Looks | None, box, t: float) -> tuple[float, float]:
        """Of the box's centre, from the last sighting to this one."""
        if looks is None or t - looks.last_t <= 0 or t - looks.last_t > OLDEST_VELOCITY_S:
            return (0.0, 0.0)
        dt = t - looks.last_t
        old, new = looks.last_box, box
        return (((new[0] + new[2]) - (old[0] + old[2])) / (2 * dt), ((new[1] + new[3]) - (old[1] + old[3])) / (2 * dt))

    def follow(self, t: float, grey: np.ndarray, scale: float) -> list[tuple]:
        """(key, box in display pixels, correlation) of each track whose looks are found in ``grey`` at ``t``."""
        found = []
        for key, looks in list(self._looks.items()):
            if t - looks.t > self.follow_s:
                del self._looks[key]
                continue
            place = self._find(looks, t, grey, scale)
            if place is not None:
                found.append((key, *place))
        return found

    @staticmethod
    def _find(looks: _Looks, t: float, grey: np.ndarray, scale: float):
        f = looks.factor
        h, w = (n * f for n in looks.template.shape)
        dt = t - looks.last_t
        # Where the template would be now: the last sighting moved on at the velocity.
        cx = looks.at[0] + (looks.last_box[0] - looks.box[0] + looks.velocity[0] * dt) * scale
        cy = looks.at[1] + (looks.last_box[1] - looks.box[1] + looks.velocity[1] * dt) * scale
        reach = max(3 * f, int(SEARCH * max(w, h)))  # either way: a narrow thing (a person) may walk fast sideways
        c0, r0 = max(0, int(round(cx)) - reach), max(0, int(round(cy)) - reach)
        c1 = min(grey.shape[1], int(round(cx)) + w + reach)
        r1 = min(grey.shape[0], int(round(cy)) + h + reach)
        window = _shrink(grey[r0:r1, c0:c1], f)
        if window.shape[0] < looks.template.shape[0] or window.shape[1] < looks.template.shape[1]:
            return None  # gone out of the picture
        ncc = match_template(window, looks.template)
        r, c = np.unravel_index(int(np.argmax(ncc)), ncc.shape)
        best = float(ncc[r, c])
        if best < MIN_NCC:
            return None
        dx, dy = (c0 + c * f - looks.at[0]) / scale, (r0 + r * f - looks.at[1]) / scale
        x0, y0, x1, y1 = looks.box
        return (x0 + dx, y0 + dy, x1 + dx, y1 + dy), best
