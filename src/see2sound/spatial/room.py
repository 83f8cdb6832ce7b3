"""Room acoustics: shoebox early reflections and a diffuse late tail.

Early reflections come from first-order image sources (Allen & Berkley 1979)
of a shoebox room, each a copy of the source with its own direction, delay
(relative to the direct sound) and gain. The late tail is exponentially
decaying noise, darker as it decays, scaled by Sabine's critical distance:
its energy relative to the direct sound at distance d is (r_c / d)^-2, so the
farther a source, the wetter it sounds, as in a real room.

``outdoor`` has no walls: one ground reflection and no tail.

Contents
--------
Room, ROOMS, choose_room    presets (``--room``)
image_sources               reflection directions, distances and gains
diffuse_tail                the late tail as AmbiX impulse responses, any order
diffuse_tail_foa            the same at first order
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from ..scene import Scene
from .distance import SPEED_OF_SOUND_M_S


@dataclass(frozen=True)
class Room:
    """A shoebox (``size_m`` = length along x, width along y, height) or open ground.

    ``listener_m`` is the listener's position inside the box; outdoors only its
    height (z) counts. ``rt60_s`` is the reverberation time (0 outdoors).
    """

    name: str
    size_m: tuple[float, float, float] | None
    listener_m: tuple[float, float, float]
    rt60_s: float
    ground_reflection: float = 0.7

    @property
    def volume_m3(self) -> float:
        return float(np.prod(self.size_m))

    @property
    def surface_m2(self) -> float:
        lx, ly, lz = self.size_m
        return 2.0 * (lx * ly + lx * lz + ly * lz)

    @property
    def wall_reflection(self) -> float:
        """Pressure reflection coefficient of the walls, from Sabine's absorption."""
        alpha = np.clip(0.161 * self.volume_m3 / (self.surface_m2 * self.rt60_s), 0.02, 0.98)
        return float(np.sqrt(1.0 - alpha))

    @property
    def critical_distance_m(self) -> float:
        """Where direct and reverberant energy are equal: 0.057 sqrt(V / RT60)."""
        return 0.057 * float(np.sqrt(self.volume_m3 / self.rt60_s))


ROOMS = {
    "outdoor": Room("outdoor", None, (0.0, 0.0, 1.6), 0.0),
    "small": Room("small", (4.0, 3.5, 2.6), (1.7, 1.6, 1.2), 0.3),
    "medium": Room("medium", (9.0, 7.0, 3.2), (3.6, 3.3, 1.6), 0.5),
    "large": Room("large", (25.0, 18.0, 10.0), (9.0, 8.5, 1.6), 1.4),
}
ROOM_CHOICES = ("auto", "none", *ROOMS)


def choose_room(name: str, scene: Scene) -> Room | None:
    """The room for ``--room``; ``auto`` is ``medium`` for indoor ambiences, else ``outdoor``."""
    if name == "auto":
        kind = (scene.ambience.kind or "") if scene.ambience else ""
        name = "medium" if kind.startswith("indoor") else "outdoor"
    if name == "none":
        return None
    if name not in ROOMS:
        raise ParameterError("room", f"unknown room {name!r} (choose from {', '.join(ROOM_CHOICES)})")
    return ROOMS[name]


def image_sources(room: Room, directions: np.ndarray, distances_m: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First-order reflections of sources at directions [shape=(n, 3)] and distances [shape=(n,)].

    Returns directions [shape=(n, m, 3)], distances [shape=(n, m)] and
    pressure gains [shape=(n, m)] (reflection coefficient only; the renderer
    applies the distance law), with m = 1 outdoors and 6 in a shoebox.
    """
    rel = directions * distances_m[:, None]
    listener = np.asarray(room.listener_m, dtype=np.float64)
    if room.size_m is None:
        height = listener[2]
        z = np.maximum(rel[:, 2], -height + 0.01)  # a source below ground sits on it
        images = np.stack([rel[:, 0], rel[:, 1], -2.0 * height - z], axis=-1)[:, None, :]
        gains = np.full(images.shape[:2], room.ground_reflection)
    else:
        size = np.asarray(room.size_m)
        pos = np.clip(listener + rel, 0.05, size - 0.05)  # reflections of a source inside the room
        images = np.repeat(pos[:, None, :], 6, axis=1)
        for axis in range(3):
            images[:, 2 * axis, axis] = -pos[:, axis]
            images[:, 2 * axis + 1, axis] = 2.0 * size[axis] - pos[:, axis]
        images -= listener
        gains = np.full(images.shape[:2], room.wall_reflection)
    dist = np.linalg.norm(images, axis=-1)
    return images / dist[..., None], dist, gains


def diffuse_tail(room: Room, sample_rate: int, seed: int = 0, order: int = 1) -> np.ndarray:
    """The late reverberation [shape=((order+1)^2, n)] as AmbiX responses to a source at 1 m.

    Independent noises, one per channel (an isotropic field has, in SN3D,
    E[Y_nm^2] = E[W^2] / (2n + 1): a third of W's power at first order, a
    seventh at third), decaying at ``rt60_s`` below 3 kHz and twice as fast
    above, starting after the mean free path. Total W energy is r_c^-2. The
    first four channels are the same at every order (the first-order tail).
    """
    channels = (order + 1) ** 2
    rt = room.rt60_s
    if room.size_m is None or rt <= 0:
        return np.zeros((channels, 1), dtype=np.float32)
    n = int(rt * 1.2 * sample_rate)
    t = np.arange(n) / sample_rate
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((channels, n))
    from scipy import signal

    sos = signal.butter(4, 3000.0, fs=sample_rate, output="sos")
    low = signal.sosfiltfilt(sos, noise, axis=-1)
    high = noise - low
    decay = 6.9078  # ln(1000): -60 dB
    tail = low * np.exp(-decay * t / rt) + high * np.exp(-2.0 * decay * t / rt)
    onset = 4.0 * room.volume_m3 / room.surface_m2 / SPEED_OF_SOUND_M_S
    ramp = np.clip((t - onset) / 0.01, 0.0, 1.0)
    tail *= np.sin(0.5 * np.pi * ramp) ** 2
    energy = np.sum(tail[0] ** 2)
    degree = np.floor(np.sqrt(np.arange(channels)))
    scale = (2 * degree + 1) ** -0.5 / np.sqrt(energy) / room.critical_distance_m
    return (tail * scale[:, None]).astype(np.float32)


def diffuse_tail_foa(room: Room, sample_rate: int, seed: int = 0) -> np.ndarray:
    """The first-order late reverberation [shape=(4, n)] (:func:`diffuse_tail` at order 1)."""
    return diffuse_tail(room, sample_rate, seed, order=1)
