"""Higher-order ambisonics (hoa2, hoa3): AmbiX of order 2 and 3, and their MagLS binaural decode.

Directions are measured from the output with a beam steered over the sphere
(tests/helpers.py, with scipy's Legendre functions, not see2sound's); the
binaural decode is held against the HRTF rendered directly.
"""

import numpy as np
import pytest
import soundfile as sf

from see2sound import Scene
from see2sound.cli import main
from see2sound.eval.direction import energy_map_scores
from see2sound.formats import get_format
from see2sound.spatial import RenderOptions, render_scene
from see2sound.spatial.ambisonics import decode_binaural, encode_gains
from see2sound.spatial.geometry import to_unit_vector
from see2sound.spatial.harmonics import sn3d
from see2sound.spatial.hrtf import HRTF
from tests.helpers import (ambix_direction, gcc_phat_itd_us, ild_db, noise, scene_dict, scene_file, sn3d_reference,
                           source, wav_channel_mask, write_wav)

SR = 48000
DRY = dict(room="none", loudness_lufs=None, true_peak_dbtp=None)


@pytest.fixture
def folder(tmp_path):
    write_wav(tmp_path / "noise.wav", noise(2.0))
    return tmp_path


def render(folder, sources, fmt, duration=1.0, **options):
    scene = Scene.from_dict(scene_dict(sources, duration=duration), base_dir=folder)
    audio, _ = render_scene(scene, RenderOptions(format=fmt, **{**DRY, **options}))
    return audio


def angle_deg(az1, el1, az2, el2):
    return float(np.degrees(np.arccos(np.clip(to_unit_vector(az1, el1) @ to_unit_vector(az2, el2), -1, 1))))


# --- the encoding ------------------------------------------------------------------------------------------

def test_formats_are_ambix_of_order_2_and_3():
    for name, order, channels in (("hoa2", 2, 9), ("hoa3", 3, 16)):
        fmt = get_format(name)
        assert (fmt.is_ambisonic, fmt.ambisonic_order, fmt.channels, fmt.channel_mask) == (True, order, channels, 0)


def test_harmonics_are_the_sn3d_ones():
    rng = np.random.default_rng(1)
    az, el = rng.uniform(-np.pi, np.pi, 200), np.arcsin(rng.uniform(-1, 1, 200))
    directions = to_unit_vector(np.degrees(az), np.degrees(el))
    np.testing.assert_allclose(sn3d(directions, 3), sn3d_reference(3, az, el).T, atol=1e-12)
    np.testing.assert_allclose(encode_gains(directions, 3), sn3d_reference(3, az, el).T, atol=1e-12)


def test_first_order_encoding_is_unchanged():
    rng = np.random.default_rng(2)
    d = rng.standard_normal((500, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    np.testing.assert_array_equal(encode_gains(d), np.column_stack([np.ones(500), d[:, 1], d[:, 2], d[:, 0]]))
    np.testing.assert_array_equal(sn3d(d, 1), encode_gains(d))


@pytest.mark.parametrize("azimuth, elevation", [
    (0, 0), (30, 0), (-45, 10), (90, 0), (-90, -20), (135, 0), (180, 0), (-150, 30), (60, 60), (-120, -50),
])
def test_single_source_direction_within_one_degree(folder, azimuth, elevation):
    audio = render(folder, [source("s", azimuth, elevation, 3.0)], "hoa3")
    assert audio.shape == (16, SR)
    az, el = ambix_direction(audio)
    assert angle_deg(az, el, azimuth, elevation) < 1.0, (az, el)


def test_first_four_channels_are_the_foa_render(folder):
    sources = [source("a", 40, 15, 2.0), source("b", -110, -5, 6.0)]
    hoa = render(folder, sources, "hoa3")
    foa = render(folder, sources, "foa")
    np.testing.assert_allclose(hoa[:4], foa, atol=1e-6)
    np.testing.assert_allclose(render(folder, sources, "hoa2"), hoa[:9], atol=1e-6)


def test_hoa3_energy_map_matches_the_scene_at_least_as_well_as_foa(folder):
    write_wav(folder / "other.wav", noise(2.0, seed=7))
    positions = [(30, 0), (-60, 10), (150, -10)]
    sources = [source(f"s{k}", az, el, 2.0, audio="other.wav" if k % 2 else "noise.wav")
               for k, (az, el) in enumerate(positions)]
    hoa = render(folder, sources, "hoa3")
    targets = to_unit_vector(*np.array(positions, dtype=float).T)
    foa_cc = energy_map_scores(hoa[:4], targets)["cc"]
    hoa_cc = energy_map_scores(hoa, targets)["cc"]
    assert hoa_cc >= foa_cc, (hoa_cc, foa_cc)


def test_the_room_tail_is_isotropic_at_order_3(folder):
    """After a short burst has passed, the large room's tail gives each degree n 1/(2n+1) of W's power."""
    burst = np.zeros(2 * SR, dtype=np.float32)
    burst[: SR // 10] = noise(0.1)
    write_wav(folder / "burst.wav", burst)
    audio = render(folder, [source("s", 30, 0, 4.0, audio="burst.wav")], "hoa3", duration=1.5, room="large")
    late = audio[:, int(0.4 * SR):int(1.2 * SR)].astype(np.float64)  # the direct sound and reflections are over
    power = (late ** 2).mean(axis=1)
    for n in (1, 2, 3):
        ratio = power[n * n:(n + 1) ** 2].mean() / power[0]
        assert ratio == pytest.approx(1 / (2 * n + 1), rel=0.15), (n, ratio)


# --- a moving source ------------------------------------------------------------------------------------------

def test_a_moving_source_is_followed(folder):
    write_wav(folder / "noise.wav", noise(3.0))
    src = source("s", 70.0, 0.0, 2.0)
    # Between the keyframes the direction moves along the great circle (SPEC §2).
    src["trajectory"] = [{"t": 0.0, "azimuth_deg": 70.0, "elevation_deg": -20.0, "distance_m": 2.0},
                         {"t": 3.0, "azimuth_deg": -70.0, "elevation_deg": 20.0, "distance_m": 2.0}]
    audio = render(folder, [src], "hoa3", duration=3.0)
    start, end = to_unit_vector(70.0, -20.0), to_unit_vector(-70.0, 20.0)
    arc = np.arccos(start @ end)
    frame = SR // 20
    errors = []
    for k in range(2, audio.shape[1] // frame - 2):  # away from the edge fades
        f = (k + 0.5) * frame / SR / 3.0
        wanted = (np.sin((1 - f) * arc) * start + np.sin(f * arc) * end) / np.sin(arc)  # along the great circle
        az, el = ambix_direction(audio[:, k * frame:(k + 1) * frame])
        errors.append(np.degrees(np.arccos(np.clip(to_unit_vector(az, el) @ wanted, -1, 1))))
    assert max(errors) < 2.0, max(errors)


# --- binaural decode (MagLS) ----------------------------------------------------------------------------------

@pytest.mark.parametrize("azimuth", [30, -30, 60, -60, 90, -90])
def test_magls_decode_keeps_the_hrtf_s_itd_and_ild(folder, azimuth):
    sources = [source("s", azimuth, 0.0, 2.0)]
    hoa = render(folder, sources, "hoa3")
    direct = render(folder, sources, "binaural")
    decoded = decode_binaural(hoa, HRTF.load(sample_rate=SR))
    assert decoded.shape == direct.shape
    itd = gcc_phat_itd_us(*decoded, SR)
    wanted_itd = gcc_phat_itd_us(*direct, SR)
    assert abs(itd - wanted_itd) < 30.0, (itd, wanted_itd)
    assert abs(ild_db(*decoded) - ild_db(*direct)) < 1.0, (ild_db(*decoded), ild_db(*direct))


def test_decode_refuses_a_channel_count_that_is_not_ambix():
    with pytest.raises(Exception, match="5 channels are not AmbiX"):
        decode_binaural(np.zeros((5, 100), dtype=np.float32), HRTF.load(sample_rate=SR))


# --- the command line ---------------------------------------------------------------------------------------

def test_cli_writes_16_channels_and_a_preview(tmp_path, capsys):
    scene = scene_file(tmp_path, [source("a", 60), source("b", -120, 10, 5.0)], duration=1.0)
    out, preview = tmp_path / "out.wav", tmp_path / "preview.wav"
    assert main(["spatialize", str(scene), "-o", str(out), "--format", "hoa3", "--preview", str(preview), "-q"]) == 0
    info = sf.info(str(out))
    assert (info.channels, info.frames, info.samplerate) == (16, SR, SR)
    assert wav_channel_mask(out) == (0xFFFE, 0)
    heard = sf.info(str(preview))
    assert (heard.channels, heard.frames) == (2, SR)
    left, right = sf.read(str(preview), always_2d=True)[0].T
    assert gcc_phat_itd_us(left, right, SR) > 0  # the louder source is on the left
    assert capsys.readouterr().out == ""


def test_cli_takes_hoa2_from_the_output_name(tmp_path):
    scene = scene_file(tmp_path, [source("a", 0)], duration=0.5)
    assert main(["spatialize", str(scene), "-o", str(tmp_path / "bed.ambix2.wav"), "-q"]) == 0
    assert sf.info(str(tmp_path / "bed.ambix2.wav")).channels == 9


def test_eval_scores_an_hoa3_file(tmp_path):
    from see2sound.eval.report import evaluate

    scene_path = scene_file(tmp_path, [source("a", 60, 15, 2.0)], duration=1.0)
    out = tmp_path / "x.hoa3.wav"
    assert main(["spatialize", str(scene_path), "-o", str(out), "-q"]) == 0
    summary = evaluate(out, Scene.load(scene_path), tags=False)["summary"]
    assert summary["format"] == "hoa3" and summary["loudness_measured_on"] == "binaural decode"
    assert summary["mean_doa_error_deg"] < 5.0 and summary["cc"] > 0.5, summary
    assert summary["loudness_lufs"] == pytest.approx(-23.0, abs=0.1)
