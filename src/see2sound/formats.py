"""Output formats: what each one is, in one registry (SPEC §3).

An :class:`OutputFormat` says everything the rest of see2sound needs to
know about a format: its channels in file order, the WAVE channel mask,
how it is rendered (through an HRTF, by ambisonic encoding, panned over
a loudspeaker :class:`Layout`, or left to the player as objects), how its
loudness is measured, and how a video container carries it. Adding a format is one :func:`register_format`
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

BINAURAL, AMBISONIC, LOUDSPEAKER, OBJECTS = "binaural", "ambisonic", "loudspeaker", "objects"


@dataclass(frozen=True)
class Layout:
    """Loudspeaker channels in file order and their directions (SPEC §1 azimuth and elevation).

    ``azimuths_deg`` and ``elevations_deg`` are None for the LFE; elevations
    default to 0 (a horizontal layout).
    """

    name: str
    channels: tuple[str, ...]
    azimuths_deg: tuple[float | None, ...]
    elevations_deg: tuple[float | None, ...] | None = None

    def __post_init__(self):
        if self.elevations_deg is None:
            object.__setattr__(self, "elevations_deg", tuple(None if a is None else 0.0 for a in self.azimuths_deg))
        if len(self.elevations_deg) != len(self.azimuths_deg):
            raise ParameterError("layout", f"{self.name}: {len(self.elevations_deg)} elevations for "
                                           f"{len(self.azimuths_deg)} azimuths")

    @property
    def lfe_index(self) -> int | None:
        return self.azimuths_deg.index(None) if None in self.azimuths_deg else None

    @property
    def speakers(self) -> list[int]:
        """Indices of the channels that are loudspeakers (not LFE)."""
        return [i for i, a in enumerate(self.azimuths_deg) if a is not None]

    @property
    def is_horizontal(self) -> bool:
        """True when every loudspeaker is at elevation 0 (panned in 2D; SPEC §3)."""
        return all(self.elevations_deg[i] == 0.0 for i in self.speakers)

    def speaker_directions(self):
        """Unit vectors of the loudspeakers [shape=(len(speakers), 3)], in :attr:`speakers` order (SPEC §1 axes)."""
        from .spatial.geometry import to_unit_vector

        idx = self.speakers
        return to_unit_vector([self.azimuths_deg[i] for i in idx], [self.elevations_deg[i] for i in idx])


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
    (AmbiX: ACN order, SN3D, of ``ambisonic_order``), ``"loudspeaker"``
    (VBAP over ``layout``) or ``"objects"`` (each source's dry signal and
    its positions, for the player to render: :mod:`see2sound.spatial.objects`;
    the tracks follow the scene, so ``labels`` is empty). ``loudness_on`` says what BS.1770 is measured
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
    def is_objects(self) -> bool:
        return self.rendering == OBJECTS

    @property
    def loudness_weights(self) -> list[float | None] | None:
        """Azimuths that set BS.1770 channel weights with ``layout.elevations_deg`` (LFE left out), or None."""
        return list(self.layout.azimuths_deg) if self.layout is not None else None

    def __str__(self) -> str:
        return self.name


FORMATS: dict[str, OutputFormat] = {}
"""Every registered output format by name, in registration order (binaural, foa, hoa2, hoa3, stereo, 5.1, 7.1,
5.1.4, 7.1.4, adm)."""


def register_format(fmt: OutputFormat) -> OutputFormat:
    """Add ``fmt`` to :data:`FORMATS` (a name already there is replaced)."""
    if fmt.rendering not in (BINAURAL, AMBISONIC, LOUDSPEAKER, OBJECTS):
        raise ParameterError("rendering", f"must be binaural, ambisonic, loudspeaker or objects, "
                                          f"got {fmt.rendering!r}")
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
    """The output format named in a file name (``mix.foa.wav``, ``street_5.1.flac``), if exactly one.

    A name found inside a longer one is not counted: ``x.5.1.4.wav`` names 5.1.4, not also 5.1.
    """
    stem = Path(path).name.lower().rsplit(".", 1)[0]
    spans = {name: [m.span() for m in re.finditer(rf"(?<![0-9a-z])(?:{fmt.file_pattern})(?![0-9a-z])", stem)]
             for name, fmt in FORMATS.items()}
    every = [span for found in spans.values() for span in found]
    found = [name for name, own in spans.items()
             if any(not any(c <= a and b <= d and (c, d) != (a, b) for c, d in every) for a, b in own)]
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
# ITU-R BS.2051 systems D (4+5+0) and J (4+7+0) at their nominal directions: the upper layer at elevation 30.
# File order is that of the WAVE channel mask (ascending bits): ... TFL 0x1000, TFR 0x4000, TBL 0x8000, TBR 0x20000.
_PCM_MOV = "pcm_s24le"
register_format(OutputFormat(
    "5.1.4", ("L", "R", "C", "LFE", "Ls", "Rs", "TFL", "TFR", "TBL", "TBR"), 0x2D03F, LOUDSPEAKER,
    "ITU-R BS.2051 system D (4+5+0): 5.1 and four upper loudspeakers", r"5[._]?1[._]?4",
    layout=Layout("5.1.4", ("L", "R", "C", "LFE", "Ls", "Rs", "TFL", "TFR", "TBL", "TBR"),
                  (30.0, -30.0, 0.0, None, 110.0, -110.0, 30.0, -30.0, 110.0, -110.0),
                  (0.0, 0.0, 0.0, None, 0.0, 0.0, 30.0, 30.0, 30.0, 30.0)),
    encoders={"mov": Encoder(_PCM_MOV, "5.1.4")}))
register_format(OutputFormat(
    "7.1.4", ("L", "R", "C", "LFE", "Lb", "Rb", "Ls", "Rs", "TFL", "TFR", "TBL", "TBR"), 0x2D63F, LOUDSPEAKER,
    "ITU-R BS.2051 system J (4+7+0): 7.1 and four upper loudspeakers", r"7[._]?1[._]?4",
    layout=Layout("7.1.4", ("L", "R", "C", "LFE", "Lb", "Rb", "Ls", "Rs", "TFL", "TFR", "TBL", "TBR"),
                  (30.0, -30.0, 0.0, None, 135.0, -135.0, 90.0, -90.0, 45.0, -45.0, 135.0, -135.0),
                  (0.0, 0.0, 0.0, None, 0.0, 0.0, 0.0, 0.0, 30.0, 30.0, 30.0, 30.0)),
    encoders={"mov": Encoder(_PCM_MOV, "7.1.4")}))
register_format(OutputFormat(
    "adm", (), 0x0, OBJECTS, "ADM BW64 for DAWs (BS.2076/BS.2088): an object per source, the ambience as an FOA bed",
    r"adm|bw64"))
