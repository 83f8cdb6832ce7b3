"""Video: sources that move in the picture move in the sound; files players can read."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from see2sound.io.mp4 import find_box
from see2sound.spatial import RenderOptions, render_scene
from see2sound.video.track import analyze_video
from tests.helpers import need, noise, write_wav
from tests.video.conftest import FPS, SECONDS, cat_frames, true_azimuth, write_clip

av = need("av", "video")


def run(*args, timeout=240):
    return subprocess.run([sys.executable, "-m", "see2sound.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)


def streams(path):
    with av.open(str(path)) as c:
        return [(s.type, s.codec_context.name, getattr(s, "channels", None),
                 float(s.duration * s.time_base) if s.duration else None) for s in c.streams]


def decode_audio(path, index=0):
    with av.open(str(path)) as c:
        return np.concatenate([f.to_ndarray() for f in c.decode(c.streams.audio[index])], axis=1)


@pytest.mark.slow  # test_foa_direction_in_the_muxed_file_follows_the_cat tracks the cat too, in the quick tier
def test_the_cat_is_tracked_across_the_street(cat_clip):
    scene, info, _ = analyze_video(cat_clip)
    assert info.duration_s == pytest.approx(SECONDS, abs=0.05) and scene.input["kind"] == "video"
    cats = [s for s in scene.sources if s.label == "cat"]
    assert len(cats) == 1, [s.label for s in scene.sources]  # one track, not restarted
    start, end = cats[0].active_s
    assert start < 0.5 and end > SECONDS - 0.5
    for key in cats[0].trajectory:
        assert abs(key.azimuth_deg - true_azimuth(key.t)) < 5.0, (key.t, key.azimuth_deg)


def test_foa_direction_in_the_muxed_file_follows_the_cat(cat_clip, tmp_path):
    from see2sound.video.mux import mux

    scene, _, _ = analyze_video(cat_clip)
    write_wav(tmp_path / "purr.wav", noise(SECONDS + 1))  # a steady sound: direction at every moment
    for src in scene.sources:
        src.audio = see2sound_audio("purr.wav")
    scene.ambience = None
    scene.base_dir = tmp_path
    audio, _ = render_scene(scene, RenderOptions(format="foa", room="none"))
    mux(cat_clip, audio, 48000, "foa", tmp_path / "cat.foa.mp4", keep_original="drop")
    foa = decode_audio(tmp_path / "cat.foa.mp4").astype(np.float64)
    window = 24000
    for k in range(1, 2 * SECONDS - 1):
        w, y, z, x = foa[:, k * window:(k + 1) * window]
        measured = np.degrees(np.arctan2(np.mean(w * y), np.mean(w * x)))
        assert abs(measured - true_azimuth((k + 0.5) * 0.5)) < 6.0, (k, measured)


def see2sound_audio(path):
    from see2sound.scene import AudioRef

    return AudioRef(path=path)


@pytest.mark.slow
def test_mp4_holds_the_picture_and_both_soundtracks(cat_clip, tmp_path):
    out = tmp_path / "out.mp4"
    result = run("render", cat_clip, "-o", out, "-q")
    assert result.returncode == 0, result.stderr
    got = streams(out)
    assert [g[:3] for g in got] == [("video", "h264", None), ("audio", "aac", 2), ("audio", "aac", 2)]
    video_s, audio_s = got[0][3], got[1][3]
    assert abs(video_s - audio_s) <= 1.0 / FPS
    with av.open(str(cat_clip)) as a, av.open(str(out)) as b:  # copied, not re-encoded
        assert [p.size for p in a.demux(a.streams.video[0]) if p.size] == \
               [p.size for p in b.demux(b.streams.video[0]) if p.size]
    for keep, audio_streams in (("drop", 1), ("mix", 1)):
        assert run("render", cat_clip, "-o", tmp_path / f"{keep}.mp4", "--keep-original", keep, "-q").returncode == 0
        assert sum(s[0] == "audio" for s in streams(tmp_path / f"{keep}.mp4")) == audio_streams


@pytest.mark.slow
@pytest.mark.parametrize("name, codec", [("foa.mp4", "opus"), ("foa.mov", "pcm_s24le")])
def test_foa_video_is_tagged_ambisonic(cat_clip, tmp_path, name, codec):
    out = tmp_path / f"cat.{name}"
    assert run("render", cat_clip, "-o", out, "--keep-original", "drop", "-q").returncode == 0
    assert streams(out)[1][:3] == ("audio", codec, 4)
    data = out.read_bytes()
    stsd = find_box(data, [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd"])
    assert stsd is not None and data.find(b"SA3D") > 0
    sa3d = data.find(b"SA3D")
    assert data[sa3d - 4:sa3d] == (36).to_bytes(4, "big")  # version, type, order 1, ACN, SN3D, 4 channels
    assert data[sa3d + 4:sa3d + 10] == bytes([0, 0, 0, 0, 0, 1])


def decode_packed(path):
    """Every channel of the first audio stream [shape=(channels, n)], decoded to packed float.

    PyAV (18) mishandles planar frames of more than 8 channels, so 9 and 16-channel streams are read packed.
    """
    with av.open(str(path)) as c:
        stream = c.streams.audio[0]
        channels = stream.codec_context.channels
        resampler = av.AudioResampler(format="flt", layout=stream.layout, rate=stream.rate)
        parts = [g.to_ndarray().reshape(-1, channels).T for f in c.decode(stream) for g in resampler.resample(f)]
    return np.concatenate(parts, axis=1)


@pytest.mark.parametrize("fmt, suffix, codec", [("hoa3", ".mp4", "opus"), ("hoa2", ".mov", "pcm_s24le")])
def test_hoa_video_carries_every_channel_and_its_order(tmp_path, fmt, suffix, codec):
    from see2sound import Scene
    from see2sound.formats import get_format
    from see2sound.video.mux import mux
    from tests.helpers import ambix_direction, scene_dict, source
    from tests.video.conftest import small_clip

    clip = small_clip(tmp_path / "bar.mp4", 25, every_frame_a_keyframe=False)
    write_wav(tmp_path / "noise.wav", noise(2.0))
    scene = Scene.from_dict(scene_dict([source("s", 50, 20, 2.0)], duration=1.0), base_dir=tmp_path)
    audio, _ = render_scene(scene, RenderOptions(format=fmt, room="none"))
    out = tmp_path / f"bar{suffix}"
    mux(clip, audio, 48000, fmt, out, keep_original="drop")
    order, channels = get_format(fmt).ambisonic_order, get_format(fmt).channels
    assert streams(out)[1][:3] == ("audio", codec, channels)
    data = out.read_bytes()
    sa3d = data.find(b"SA3D")
    assert data[sa3d - 4:sa3d] == (20 + 4 * channels).to_bytes(4, "big")
    assert data[sa3d + 4:sa3d + 16] == bytes([0, 0, 0, 0, 0, order, 0, 0, 0, 0, 0, channels])  # ACN, SN3D
    assert data[sa3d + 16:sa3d + 16 + 4 * channels] == b"".join(i.to_bytes(4, "big") for i in range(channels))
    decoded = decode_packed(out)
    assert decoded.shape[0] == channels
    az, el = ambix_direction(decoded[:, 4800:43200])
    assert abs(az - 50) < 2 and abs(el - 20) < 2, (az, el)


@pytest.mark.slow
def test_equirect_video_gets_spherical_boxes(photos, tmp_path):
    frames = cat_frames(photos, size=(1024, 512))
    clip = write_clip(tmp_path / "pano.mp4", frames, size=(1024, 512), audio=False)
    out = tmp_path / "pano.foa.mp4"
    result = run("render", clip, "-o", out, "-q")
    assert result.returncode == 0, result.stderr
    data = out.read_bytes()
    assert b"st3d" in data and b"sv3d" in data and b"equi" in data and b"SA3D" in data
    assert streams(out)[0][:2] == ("video", "h264")


@pytest.mark.slow
def test_scene_cuts_reset_tracks_and_re_decide_the_ambience(photos, tmp_path):
    street = list(cat_frames(photos))[:50]
    room = np.asarray(Image.open(photos["coffee.png"]).convert("RGB").resize((768, 432)))
    clip = write_clip(tmp_path / "cut.mp4", street + [room] * 50)
    scene, _, notes = analyze_video(clip)
    segments = [s.to_json() for s in scene.segments]
    assert len(segments) == 2 and abs(segments[0]["end_s"] - 2.0) < 0.3
    assert segments[0]["ambience"] != segments[1]["ambience"]
    assert any("scene cut" in n for n in notes)


@pytest.mark.slow
def test_a_real_clip(vtest, tmp_path):
    result = run("render", vtest, "-o", tmp_path / "vtest.mp4", "--analysis-rate", "2", "--keep-original", "drop",
                 timeout=400)
    assert result.returncode == 0, result.stderr
    assert "re-encoded with x264" in result.stderr  # MS-MPEG4 cannot go in MP4
    assert "person" in result.stdout
    got = streams(tmp_path / "vtest.mp4")
    assert got[0][1] == "h264" and abs(got[0][3] - got[1][3]) <= 0.1


@pytest.mark.slow
def test_bad_videos_are_refused_in_one_line(tmp_path):
    sf.write(str(tmp_path / "song.wav"), noise(1.0), 48000)
    out = av.open(str(tmp_path / "audio-only.mp4"), "w")
    a = out.add_stream("aac", rate=48000, layout="mono")
    frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
    frame.sample_rate = 48000
    for p in a.encode(frame):
        out.mux(p)
    for p in a.encode(None):
        out.mux(p)
    out.close()
    (tmp_path / "garbage.mp4").write_bytes(os.urandom(5000))
    for name, message in (("audio-only.mp4", "audio only"), ("garbage.mp4", "not a video see2sound can read"),
                          ("missing.mp4", "no such video")):
        before = set(tmp_path.iterdir())
        result = run("render", tmp_path / name, "-o", tmp_path / "out.mp4")
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1 and message in lines[0], result.stderr
        assert set(tmp_path.iterdir()) == before


@pytest.mark.slow
@pytest.mark.parametrize("flags, message", [
    (["--preset", "paper"], "error: --preset: for pictures only (video is tracked with the offline ensemble)"),
    (["--detector", "sam-clip"], "error: --detector: for pictures only (video is tracked with the offline ensemble)"),
    (["--depth", "depth-anything-outdoor"], "error: --depth: for pictures only (video uses size priors)"),
])
def test_picture_only_stages_are_refused_for_video_in_one_line(cat_clip, tmp_path, flags, message):
    result = run("render", cat_clip, "-o", tmp_path / "out.wav", *flags)
    assert result.returncode == 2 and result.stderr.strip() == message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_interrupt_leaves_no_partial_output(cat_clip, tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "see2sound.cli", "render", str(cat_clip), "-o",
                             str(tmp_path / "out.mp4"), "--scene-out", str(tmp_path / "s.json")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_a_brief_occlusion_does_not_restart_the_sound(photos, tmp_path):
    frames = list(cat_frames(photos))
    background = np.asarray(Image.open(photos["leuvenA.jpg"]).convert("RGB").resize((768, 432)))
    for i in range(40, 55):  # the cat is hidden for 0.6 s
        frames[i] = background
    scene, _, _ = analyze_video(write_clip(tmp_path / "hide.mp4", frames))
    cats = [s for s in scene.sources if s.label == "cat"]
    assert len(cats) == 1
    start, end = cats[0].active_s
    assert start < 0.5 and end > SECONDS - 0.5


@pytest.mark.slow
def test_rotation_metadata_is_respected(photos, tmp_path):
    # Stored on its side with a display rotation, as phones record portrait video.
    frames = [np.ascontiguousarray(np.rot90(f, k=-1)) for f in cat_frames(photos)]
    path = tmp_path / "rotated.mp4"
    out = av.open(str(path), "w")
    v = out.add_stream("libx264", rate=FPS, options={"preset": "veryfast"})
    v.width, v.height, v.pix_fmt = 432, 768, "yuv420p"
    v.set_display_rotation(90)
    for f in frames:
        for p in v.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
            out.mux(p)
    for p in v.encode(None):
        out.mux(p)
    out.close()
    scene, info, _ = analyze_video(path)
    assert (info.width, info.height) == (768, 432)
    cat = next(s for s in scene.sources if s.label == "cat")
    assert cat.trajectory[0].azimuth_deg > 10 > -10 > cat.trajectory[-1].azimuth_deg  # left to right, upright


def test_variable_frame_rate_uses_each_frame_s_own_time(photos, tmp_path):
    from fractions import Fraction

    from see2sound.video.decode import analysis_frames

    frames = list(cat_frames(photos))[:60]
    path = tmp_path / "vfr.mp4"
    out = av.open(str(path), "w")
    v = out.add_stream("libx264", rate=25, options={"preset": "veryfast"})
    v.width, v.height, v.pix_fmt = 768, 432, "yuv420p"
    v.codec_context.time_base = Fraction(1, 1000)
    times_ms, t = [], 0
    for i, rgb in enumerate(frames):
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        frame.pts, frame.time_base = t, Fraction(1, 1000)
        times_ms.append(t)
        for p in v.encode(frame):
            out.mux(p)
        t += 20 if i < 30 else 100  # 50 fps, then 10 fps
    for p in v.encode(None):
        out.mux(p)
    out.close()
    picked = [round(t, 3) for t, _ in analysis_frames(path, 5.0)]
    expected, next_t = [], 0.0
    for ms in times_ms:  # the first frame at or after every 0.2 s
        if ms / 1000 + 1e-6 >= next_t:
            expected.append(ms / 1000)
            next_t = ms / 1000 + 0.2
    assert picked == pytest.approx(expected, abs=1e-3)
    assert len(picked) > 3.0 / 0.2 * 0.9  # the slow half is still sampled every 0.2 s
