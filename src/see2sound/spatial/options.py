"""What a render is asked for and what it reports, and the Renderer interface.

Contents
--------
RenderOptions   format, rate, HRTF, room, loudness, Doppler, LFE (checked when made)
RenderReport    what was rendered and how loud it came out
Renderer        the interface of a spatial renderer (a registered component of kind ``renderers``)
with_fields     a copy of an options object with some fields replaced (keyword shortcuts)
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field
from typing import Callable, Protocol, runtime_checkable

import numpy as np

from ..errors import ParameterError
from ..formats import OutputFormat, get_format
from ..registry import Component
from ..scene import Scene
from .room import ROOM_CHOICES

MIN_RATE, MAX_RATE = 8000, 192000
Progress = Callable[[float], None]


@dataclass(frozen=True)
class RenderOptions:
    """How to render (checked when made: a bad value is a :class:`~see2sound.errors.ParameterError`).

    ``format`` is a registered format's name (:data:`see2sound.formats.FORMATS`).
    ``loudness_lufs=None`` leaves the level as rendered; ``true_peak_dbtp=None``
    turns the limiter off too (the output may then exceed full scale).
    ``room``: ``auto`` (medium for indoor ambiences, else outdoor), ``none``,
    ``outdoor``, ``small``, ``medium``, ``large``.
    """

    format: str = "binaural"
    sample_rate: int = 48000
    hrtf: str | os.PathLike | None = None
    room: str = "auto"
    loudness_lufs: float | None = -23.0
    true_peak_dbtp: float | None = -1.0
    doppler: bool = False
    lfe: bool = False

    def __post_init__(self):
        object.__setattr__(self, "format", get_format(self.format).name)
        if isinstance(self.sample_rate, bool) or not (isinstance(self.sample_rate, (int, np.integer))
                                                      and MIN_RATE <= self.sample_rate <= MAX_RATE):
            raise ParameterError("sample_rate", f"must be an integer from {MIN_RATE} to {MAX_RATE} Hz, "
                                                f"got {self.sample_rate!r}")
        object.__setattr__(self, "sample_rate", int(self.sample_rate))
        if self.room not in ROOM_CHOICES:
            raise ParameterError("room", f"unknown room {self.room!r} (choose from {', '.join(ROOM_CHOICES)})")
        for name, lo, hi, unit in (("loudness_lufs", -70.0, 0.0, "LUFS"), ("true_peak_dbtp", -20.0, 0.0, "dBTP")):
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or not lo <= value <= hi:
                raise ParameterError(name, f"must be between {lo:g} and {hi:g} {unit} (or None: off), got {value!r}")
        if self.hrtf is not None and not isinstance(self.hrtf, (str, os.PathLike)):
            raise ParameterError("hrtf", f"expected a path to a SOFA file, got {type(self.hrtf).__name__}")

    @property
    def output(self) -> OutputFormat:
        """The :class:`~see2sound.formats.OutputFormat` rendered."""
        return get_format(self.format)

    @property
    def channels(self) -> int:
        return self.output.channels


@dataclass
class RenderReport:
    """What was rendered and how loud it came out.

    ``loudness_lufs`` (-inf for silence) and ``true_peak_dbtp`` are None when
    they were not measured: a render with neither a loudness target nor a
    limiter (``RenderOptions(loudness_lufs=None, true_peak_dbtp=None)``) is
    not metered, and ``measured_on`` then says so.
    """

    format: str
    sample_rate: int
    channels: int
    samples: int
    room: str
    loudness_lufs: float | None
    true_peak_dbtp: float | None
    gain_db: float = 0.0
    limiter_db: float = 0.0
    measured_on: str = "output channels"
    notes: list[str] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return self.samples / self.sample_rate


@runtime_checkable
class Renderer(Component, Protocol):
    """Renders a scene whose sources have audio into a format.

    ``formats``: the format names it can render (None: every registered
    one). :meth:`render` returns audio [shape=(channels, n), float32],
    n = round(duration_s * sample_rate), in the format's channel order,
    filling ``out`` when given (e.g. a disk-backed memmap), and calling
    ``progress`` with the fraction done. Muted sources are not heard.
    """

    name: str
    formats: tuple[str, ...] | None = None

    def render(self, scene: Scene, options: RenderOptions, *, out: np.ndarray | None = None,
               progress: Progress | None = None) -> tuple[np.ndarray, RenderReport]: ...


def with_fields(options, **fields):
    """A copy of the options dataclass ``options`` with ``fields`` replaced, checked again.

    ``format=None`` means "keep"; an unknown field is a ParameterError.
    """
    known = {f.name for f in dataclasses.fields(options)}
    for name in fields:
        if name not in known:
            raise ParameterError(name, f"not an option of {type(options).__name__}")
    changes = {k: v for k, v in fields.items() if not (k == "format" and v is None)}
    return dataclasses.replace(options, **changes) if changes else options
