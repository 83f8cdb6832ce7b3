"""Pictures from untrusted files: every odd case handled or refused in one clear line."""

import io
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from see2sound import See2SoundError
from see2sound.vision.image import load_picture


def save(path, image, **kwargs):
    image.save(path, **kwargs)
    return path


@pytest.fixture
def rgb(photos):
    return Image.open(photos["chelsea.png"]).convert("RGB")


def test_modes_are_converted(tmp_path, rgb):
    cases = {
        "grey16.png": Image.fromarray((np.asarray(rgb.convert("L"), dtype=np.uint16) * 257)),
        "cmyk.jpg": rgb.convert("CMYK"),
        "palette.png": rgb.convert("P", palette=Image.Palette.ADAPTIVE),
        "alpha.png": rgb.convert("RGBA"),
        "grey.jpg": rgb.convert("L"),
    }
    for name, image in cases.items():
        pic = load_picture(save(tmp_path / name, image))
        assert pic.rgb.dtype == np.uint8 and pic.rgb.shape == (300, 451, 3), name
        assert (pic.width, pic.height) == (451, 300)
        assert 40 < pic.rgb.mean() < 220, name


def test_transparent_pixels_become_white(tmp_path):
    im = Image.new("RGBA", (64, 64), (255, 0, 0, 0))
    pic = load_picture(save(tmp_path / "clear.png", im))
    assert pic.rgb.min() == 255


def test_animated_gif_uses_the_first_frame_with_a_note(tmp_path):
    frames = [Image.new("RGB", (64, 48), c) for c in ((200, 0, 0), (0, 200, 0), (0, 0, 200))]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100)
    pic = load_picture(path)
    assert pic.rgb[0, 0, 0] > 150 and pic.rgb[0, 0, 1] < 50
    assert any("3 frames" in n for n in pic.notes)


def test_exif_orientation_is_respected(tmp_path, rgb):
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 clockwise to view
    path = save(tmp_path / "rot.jpg", rgb, exif=exif.tobytes())
    pic = load_picture(path)
    assert (pic.width, pic.height) == (300, 451)
    assert pic.rgb.shape[:2] == (451, 300)


def test_exif_focal_length_and_gpano(tmp_path, rgb):
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0xA405] = 26
    pic = load_picture(save(tmp_path / "f.jpg", rgb, exif=exif.tobytes()))
    assert pic.focal_35mm == 26.0
    xmp = b'<x:xmpmeta><rdf:Description GPano:ProjectionType="equirectangular"/></x:xmpmeta>'
    pic = load_picture(save(tmp_path / "pano.jpg", rgb.resize((400, 200)), xmp=xmp))
    assert pic.gpano_equirect


@pytest.mark.slow
def test_huge_jpeg_is_decoded_small(tmp_path):
    path = tmp_path / "big.jpg"
    Image.new("RGB", (8660, 5780), (90, 120, 150)).save(path, quality=70)  # 50 megapixels
    # VmHWM is this process's own peak (ru_maxrss would carry pytest's over the exec).
    code = ("import re; from see2sound.vision.image import load_picture; "
            f"p = load_picture({str(path)!r}); print(p.width, p.height, p.rgb.shape[1], "
            "re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[:2] == ["8660", "5780"] and int(out[2]) <= 1600
    assert int(out[3]) < 250_000  # KiB: a full decode alone would be 150 MB, plus the interpreter


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_bytes(b"not an image at all"), "not a picture"),
    (lambda p: p.write_bytes(b""), "not a picture"),
    (lambda p: Image.new("RGB", (1, 1)).save(p, format="PNG"), "too small"),
    (lambda p: Image.new("RGB", (8, 400)).save(p, format="PNG"), "too small"),
])
def test_unreadable_or_tiny_pictures_are_refused(tmp_path, make, message):
    path = tmp_path / "x.png"
    make(path)
    with pytest.raises(See2SoundError, match=message):
        load_picture(path)


def test_truncated_jpeg_is_refused(tmp_path, photos):
    data = photos["bus.jpg"].read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(See2SoundError, match="cannot decode"):
        load_picture(path)


def test_decompression_bomb_is_refused(tmp_path):
    buf = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buf, format="PNG")  # tiny file, 400 megapixels
    path = tmp_path / "bomb.png"
    path.write_bytes(buf.getvalue())
    with pytest.raises(See2SoundError, match="too large|not a picture"):
        load_picture(path)
