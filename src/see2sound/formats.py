"""Output formats: what each one is, in one registry (SPEC §3).

An :class:`OutputFormat` says everything the rest of see2sound needs to
know about a format: its channels in file order, the WAVE channel mask,
how it is rendered (through an HRTF, by ambisonic encoding, or panned over
a loudspeaker :class:`Layout`), how its loudness is measured, and how a
video container carries it. Adding a format is one :func:`register_format`
call; nothing else branches on a format's name.

Contents
--------
Layout            loudspeaker channels and their directions
OutputFormat      one format
Encoder           codec, channel layout and options for a video container
FORMATS           name -> OutputFormat, in registration order
get_format        the format called ``name`` (a ParameterError otherwise)
register_format   add a format
format_from_name  the format a file name asks for (``mix.foa.wav``)
format_for_channels  the format a file with that many channels most likely is
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from .errors import ParameterError

BINAURAL, AMBISONIC, LOUDSPEAKER = "binaural", "ambisonic", "loudspeaker"


@dataclass(frozen=True)
class Layout:
    """Loudspeaker channels in file order; ``azimuths_deg`` is None for the LFE (SPEC §1 azimuths)."""

    name: str
    channels: tuple[str, ...]
    azimuths_deg: tuple[float | None, ...]

    @property
    def lfe_index(self) -> int | None:
        return self.azimuths_deg.index(None) if None in self.azimuths_deg else None

    @property
    def speakers(self) -> list[int]:
        """Indices of the channels that are loudspeakers (not LFE)."""
        return [i for i, a in enumerate(self.azimuths_deg) if a is not None]

    def speaker_directions(self):
        """Unit vectors of the loudspeakers [shape=(len(speakers), 3)], in :attr:`speakers` order (SPEC §1 axes)."""
        from .spatial.geometry import to_unit_vector

        idx = self.speakers
        return to_unit_vector([self.azimuths_deg[i] for i in idx], [0.0] * len(idx))


@dataclass(frozen=True)
class Encoder:
    """How a video container carries a format: FFmpeg codec, channel layout name, codec options."""

    codec: str
    layout: str
    options: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class OutputFormat:
    """One output format.

    ``rendering`` is ``"binaural"`` (through an HRTF), ``"ambisonic"``
    (AmbiX: ACN order, SN3D, of ``ambisonic_order``) or ``"loudspeaker"``
    (VBAP over ``layout``). ``loudness_on`` says what BS.1770 is measured
    on: ``"channels"`` (weighted by ``layout`` where there is one) or
    ``"binaural decode"``. ``file_pattern`` is the regular expression that
    finds the format in a file name. ``encoders`` maps a container kind
    (``"mp4"``, ``"mov"``) to its :class:`Encoder`.
    """

    name: str
    labels: tuple[str, ...]
    channel_mask: int
    rendering: str
    description: str
    file_pattern: str
    layout: Layout | None = None
    ambisonic_order: int | None = None
    loudness_on: str = "channels"
    encoders: Mapping[str, Encoder] = field(default_factory=dict)

    @property
    def channels(self) -> int:
        return len(self.labels)

    @property
    def is_binaural(self) -> bool:
        return self.rendering == BINAURAL

    @property
    def is_ambisonic(self) -> bool:
        return self.rendering == AMBISONIC

    @property
    def loudness_weights(self) -> list[float | None] | None:
        """Azimuths that set BS.1770 channel weights (surrounds +1.5 dB, LFE left out), or None."""
        return list(self.layout.azimuths_deg) if self.layout is not None else None

    def __str__(self) -> str:
        return self.name


FORMATS: dict[str, OutputFormat] = {}
"""Every registered output format by name, in registration order (binaural, foa, hoa2, hoa3, stereo, 5.1, 7.1)."""


def register_format(fmt: OutputFormat) -> OutputFormat:
    """Add ``fmt`` to :data:`FORMATS` (a name already there is replaced)."""
    if fmt.rendering not in (BINAURAL, AMBISONIC, LOUDSPEAKER):
        raise ParameterError("rendering", f"must be binaural, ambisonic or loudspeaker, got {fmt.rendering!r}")
    if fmt.layout is not None and len(fmt.layout.channels) != fmt.channels:
        raise ParameterError("layout", f"{fmt.name}: {len(fmt.layout.channels)} loudspeakers for {fmt.channels} channels")
    FORMATS[fmt.name] = fmt
    return fmt


def get_format(name: str | OutputFormat, parameter: str = "format") -> OutputFormat:
    """The registered format called ``name`` (an OutputFormat is returned as it is)."""
    if isinstance(name, OutputFormat):
        return name
    try:
        return FORMATS[name]
    except (KeyError, TypeError):
        raise ParameterError(parameter, f"unknown format {name!r} (choose from {', '.join(FORMATS)})") from None


def format_from_name(path: str | os.PathLike) -> str | None:
    """The output format named in a file name (``mix.foa.wav``, ``street_5.1.flac``), if exactly one."""
    stem = Path(path).name.lower().rsplit(".", 1)[0]
    found = [name for name, fmt in FORMATS.items()
             if re.search(rf"(?<![0-9a-z])(?:{fmt.file_pattern})(?![0-9a-z])", stem)]
    return found[0] if len(found) == 1 else None


def format_for_channels(channels: int, path: str | os.PathLike | None = None) -> str | None:
    """The format of a file with ``channels`` channels: the only one with that count, else one its name says,
    else the first registered (binaural before stereo); None if no format has that many channels."""
    candidates = [name for name, fmt in FORMATS.items() if fmt.channels == channels]
    if len(candidates) > 1 and path is not None:
        named = format_from_name(path)
        if named in candidates:
            return named
    return candidates[0] if candidates else None


_AAC_STEREO = {"mp4": Encoder("aac", "stereo"), "mov": Encoder("aac", "stereo")}

register_format(OutputFormat(
    "binaural", ("L", "R"), 0x3, BINAURAL, "headphones, through an HRTF", r"binaural", encoders=_AAC_STEREO))
register_format(OutputFormat(
    "foa", ("W", "Y", "Z", "X"), 0x0, AMBISONIC, "first-order ambisonics, AmbiX (ACN, SN3D)", r"foa|ambix",
    ambisonic_order=1, loudness_on="binaural decode",
    encoders={"mp4": Encoder("libopus", "ambisonic 1", {"mapping_family": "2"}),
              "mov": Encoder("pcm_s24le", "4.0")}))
for _order in (2, 3):
    # ACN channels, named by their FuMa letters (W Y Z X, then V T R S U, then Q O M K L N P).
    register_format(OutputFormat(
        f"hoa{_order}", tuple("WYZXVTRSUQOMKLNP"[:(_order + 1) ** 2]), 0x0, AMBISONIC,
        f"order-{_order} ambisonics, AmbiX (ACN, SN3D)", rf"hoa{_order}|ambix{_order}",
        ambisonic_order=_order, loudness_on="binaural decode",
        encoders={"mp4": Encoder("libopus", f"ambisonic {_order}", {"mapping_family": "2"}),
                  "mov": Encoder("pcm_s24le", f"ambisonic {_order}")}))
register_format(OutputFormat(
    "stereo", ("L", "R"), 0x3, LOUDSPEAKER, "two loudspeakers at +-30 deg", r"stereo",
    layout=Layout("stereo", ("L", "R"), (30.0, -30.0)), encoders=_AAC_STEREO))
register_format(OutputFormat(
    "5.1", ("L", "R", "C", "LFE", "Ls", "Rs"), 0x3F, LOUDSPEAKER, "ITU-R BS.775 5.1", r"5[._]?1",
    layout=Layout("5.1", ("L", "R", "C", "LFE", "Ls", "Rs"), (30.0, -30.0, 0.0, None, 110.0, -110.0)),
    encoders={"mp4": Encoder("aac", "5.1"), "mov": Encoder("aac", "5.1")}))
register_format(OutputFormat(
    "7.1", ("L", "R", "C", "LFE", "Lb", "Rb", "Ls", "Rs"), 0x63F, LOUDSPEAKER, "7.1 with side and back pairs",
    r"7[._]?1",
    layout=Layout("7.1", ("L", "R", "C", "LFE", "Lb", "Rb", "Ls", "Rs"),
                  (30.0, -30.0, 0.0, None, 150.0, -150.0, 90.0, -90.0)),
    encoders={"mp4": Encoder("aac", "7.1"), "mov": Encoder("aac", "7.1")}))
