"""Audio files: channel masks read back from the bytes, formats, reading odd inputs."""

import numpy as np
import pytest
import soundfile as sf

from see2sound import See2SoundError
from see2sound.io.audio import read_mono, write_audio
from tests.helpers import noise, tone, wav_channel_mask, write_wav


@pytest.mark.parametrize("fmt, channels, mask", [
    ("binaural", 2, 0x3), ("stereo", 2, 0x3), ("foa", 4, 0x0), ("5.1", 6, 0x3F), ("7.1", 8, 0x63F),
])
@pytest.mark.parametrize("subtype, bits", [("float", "FLOAT"), ("pcm24", "PCM_24")])
def test_wav_is_extensible_with_the_layouts_mask(tmp_path, fmt, channels, mask, subtype, bits):
    audio = np.tile(noise(0.1), (channels, 1)) * 0.5
    path = tmp_path / f"out_{fmt}.wav"
    write_audio(path, audio, 48000, fmt, subtype=subtype)
    assert wav_channel_mask(path) == (0xFFFE, mask)
    info = sf.info(str(path))
    assert (info.channels, info.samplerate, info.frames, info.subtype) == (channels, 48000, audio.shape[1], bits)
    back, _ = sf.read(str(path), dtype="float32")
    np.testing.assert_allclose(back.T, audio, atol=1e-6 if subtype == "float" else 2e-7 * 2 ** 4)


def test_flac_round_trip(tmp_path):
    audio = np.stack([tone(300, 0.2), tone(600, 0.2), tone(900, 0.2), tone(1200, 0.2), tone(50, 0.2), tone(70, 0.2)])
    write_audio(tmp_path / "x.flac", audio, 44100, "5.1")
    back, rate = sf.read(str(tmp_path / "x.flac"), dtype="float32")
    assert rate == 44100 and back.shape == (audio.shape[1], 6)
    np.testing.assert_allclose(back.T, audio, atol=1e-6)


def test_failed_write_leaves_nothing(tmp_path):
    with pytest.raises(See2SoundError):
        write_audio(tmp_path / "x.mp3", np.zeros((2, 10)), 48000, "stereo")
    with pytest.raises(See2SoundError, match="does not exist"):
        write_audio(tmp_path / "missing" / "x.wav", np.zeros((2, 10)), 48000, "stereo")
    assert list(tmp_path.iterdir()) == []


def test_read_mono_downmixes_and_resamples_with_notes(tmp_path):
    stereo = np.stack([tone(440, 1.0, sr=22050), tone(440, 1.0, sr=22050)])
    write_wav(tmp_path / "s.wav", stereo, sr=22050)
    x, notes = read_mono(tmp_path / "s.wav", 48000)
    assert len(x) == 48000 and x.dtype == np.float32
    assert any("downmixed 2 channels" in n for n in notes) and any("resampled 22050" in n for n in notes)
    spectrum = np.abs(np.fft.rfft(x))
    assert abs(np.argmax(spectrum) - 440) <= 1


@pytest.mark.parametrize("content, message", [
    (b"", "not a readable audio file"),
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", "not a readable audio file"),
    (b"this is not audio at all" * 10, "not a readable audio file"),
])
def test_unreadable_audio_is_one_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(See2SoundError, match=message):
        read_mono(path, 48000)


def test_missing_and_empty_audio(tmp_path):
    with pytest.raises(See2SoundError, match="no such audio file"):
        read_mono(tmp_path / "nope.wav", 48000)
    sf.write(str(tmp_path / "empty.wav"), np.zeros((0, 1), np.float32), 48000)
    with pytest.raises(See2SoundError, match="no samples"):
        read_mono(tmp_path / "empty.wav", 48000)


def test_disk_buffer_reads_back_what_was_written(tmp_path):
    from see2sound.io.buffer import DiskAudio
    x = np.stack([noise(0.5, seed=k) for k in range(6)])
    with DiskAudio(6, x.shape[1], folder=tmp_path) as buf:
        buf[:, :1000] = x[:, :1000]
        buf[:, 1000:] = x[:, 1000:]
        buf[:, 500:700] *= 2.0
        expected = x.copy()
        expected[:, 500:700] *= 2.0
        np.testing.assert_array_equal(buf[:, :], expected)
        with pytest.raises(IndexError):
            buf[0, :10]
    assert list(tmp_path.iterdir()) == []  # the temporary file is anonymous
