"""Pictures from untrusted files: every odd case handled or refused in one clear line."""

import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from see2sound.errors import InputError
from see2sound.vision.image import MAX_BYTES, MAX_PIXELS, check_picture, load_picture
from tests.vision.conftest import heic_header, png_header_only


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
    (lambda p: p.write_bytes(b"not an image at all"), "not a picture see2sound can read"),
    (lambda p: p.write_bytes(b""), "not a picture see2sound can read"),
    (lambda p: Image.new("RGB", (1, 1)).save(p, format="PNG"), "too small"),
    (lambda p: Image.new("RGB", (8, 400)).save(p, format="PNG"), "too small"),
])
def test_unreadable_or_tiny_pictures_are_refused(tmp_path, make, message):
    path = tmp_path / "x.png"
    make(path)
    with pytest.raises(InputError, match=message):
        load_picture(path)


@pytest.mark.parametrize("keep", [1 / 3, 0.001], ids=["in the pixels", "in the header"])
def test_truncated_jpeg_is_refused(tmp_path, photos, keep):
    data = photos["bus.jpg"].read_bytes()
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(InputError, match=r"cut.jpg: the picture is truncated: the file ends before its pixels do$"):
        load_picture(path)


def test_a_damaged_png_is_refused(tmp_path, photos):
    data = bytearray(photos["coffee.png"].read_bytes())
    start = data.index(b"IDAT") + 4 + 2  # past the zlib header: the first deflate block
    data[start:start + 16] = b"\xff" * 16  # block type 3 does not exist
    path = tmp_path / "broken.png"
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"broken.png: the picture is damaged and cannot be decoded \("):
        load_picture(path)


def test_decompression_bomb_is_refused_from_its_header(tmp_path):
    path = png_header_only(tmp_path / "bomb.png", 20000, 20000)  # a few hundred bytes, 400 megapixels
    assert path.stat().st_size < 1000
    start = time.perf_counter()
    # Decoding would have failed as truncated: refused by its pixel count, before decoding.
    with pytest.raises(InputError, match=r"bomb.png: picture has 400.0 MP; the limit is 250 MP$"):
        load_picture(path)
    assert time.perf_counter() - start < 0.5
    with pytest.raises(InputError, match=r"picture has 3,600.0 MP; the limit is 250 MP$"):  # past Pillow's own error
        load_picture(png_header_only(tmp_path / "huge.png", 60000, 60000))


def test_a_picture_just_over_the_limit_says_by_how_much(tmp_path):
    path = png_header_only(tmp_path / "over.png", 20000, 12501)
    with pytest.raises(InputError, match=r"over.png: picture has 250.02 MP; the limit is 250 MP$"):
        check_picture(path)


@pytest.mark.parametrize("size", [(10000, 10000), (20000, 12500)], ids=["100 MP", "250 MP"])
def test_pictures_up_to_the_limit_pass_the_checks(tmp_path, size):
    # Pillow's own guard (89 MP) refused these before; Pillow's global is left as it was.
    before = Image.MAX_IMAGE_PIXELS
    assert check_picture(png_header_only(tmp_path / "big.png", *size)) == size
    assert Image.MAX_IMAGE_PIXELS == before
    with pytest.raises(InputError, match="truncated"):  # decoding it goes on, past the checks
        load_picture(tmp_path / "big.png")
    assert Image.MAX_IMAGE_PIXELS == before


@pytest.mark.slow
def test_a_100_megapixel_jpeg_is_read(tmp_path):
    path = tmp_path / "100mp.jpg"
    Image.new("L", (10000, 10000), 128).save(path, quality=50)
    pic = load_picture(path)
    assert (pic.width, pic.height) == (10000, 10000) and max(pic.rgb.shape) <= 1600


def test_a_file_over_the_byte_limit_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.png"
    Image.new("RGB", (64, 64)).save(path)
    with open(path, "r+b") as f:
        f.truncate(int(1.5e9))  # sparse: no disk used
    with pytest.raises(InputError, match=r"huge.png: picture file is 1,500.0 MB; the limit is 1,000 MB$"):
        load_picture(path)
    assert MAX_BYTES == 1_000_000_000 and MAX_PIXELS == 250_000_000


@pytest.mark.parametrize("major, compatible", [(b"heic", (b"mif1", b"heic")), (b"mif1", (b"mif1", b"heic")),
                                               (b"heix", (b"mif1", b"heix"))])
def test_heic_is_named_and_refused(tmp_path, major, compatible):
    path = heic_header(tmp_path / "IMG_0001.HEIC", major, compatible)
    with pytest.raises(InputError, match=r"IMG_0001.HEIC: HEIC is not supported: convert it to JPEG or PNG$"):
        load_picture(path)


def test_heic_named_jpg_is_still_named(tmp_path):
    with pytest.raises(InputError, match="HEIC is not supported"):
        load_picture(heic_header(tmp_path / "photo.jpg"))
    with pytest.raises(InputError, match="HEIF is not supported: convert it to JPEG or PNG$"):
        load_picture(heic_header(tmp_path / "other.heif", b"mif1", (b"mif1", b"miaf")))


def test_avif_is_read_when_pillow_can(tmp_path, rgb):
    from PIL import features

    if not features.check("avif"):
        pytest.skip("this Pillow has no AVIF support")
    pic = load_picture(save(tmp_path / "cat.avif", rgb, format="AVIF"))
    assert (pic.width, pic.height) == (451, 300)


def test_a_folder_or_a_missing_file_is_one_line(tmp_path):
    with pytest.raises(InputError, match="no such image file"):
        load_picture(tmp_path / "missing.jpg")
    with pytest.raises(InputError, match="a folder"):
        load_picture(tmp_path)


def test_jpeg_xl_is_named_and_refused(tmp_path):
    path = tmp_path / "photo.jxl"
    path.write_bytes(b"\xff\x0a" + bytes(62))  # a bare JPEG XL codestream starts so
    with pytest.raises(InputError, match=r"photo.jxl: JPEG XL is not supported: convert it to JPEG or PNG$"):
        load_picture(path)


def test_pictures_read_side_by_side_leave_pillow_as_it_was(tmp_path, rgb):
    from concurrent.futures import ThreadPoolExecutor

    good = save(tmp_path / "cat.png", rgb)
    bomb = png_header_only(tmp_path / "bomb.png", 20000, 20000)
    before = Image.MAX_IMAGE_PIXELS

    def read(path):
        try:
            return load_picture(path).width
        except InputError as exc:
            return str(exc)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(read, [good, bomb] * 6))
    assert results[::2] == [451] * 6 and all("400.0 MP" in r for r in results[1::2])
    assert Image.MAX_IMAGE_PIXELS == before
