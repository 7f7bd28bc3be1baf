"""Media probing and 16 kHz mono audio extraction, through PyAV (no ffmpeg needed).

Media is recognised by content: a file is media when FFmpeg's demuxers find an
audio or a real video stream in it. Extensions lie, and FFmpeg itself is
generous: it opens a .txt as ANSI art ("tty") and a JSON file as lyrics
("lrc"), so those demuxers and codecs do not count.
"""

from __future__ import annotations

import wave
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

SAMPLE_RATE = 16000            # Hz: what Whisper models expect
MIN_AUDIO_S = 1.0              # shorter audio cannot hold a sentence
SILENCE_DBFS = -60.0           # RMS below this over the whole file is silence
_NOT_MEDIA_FORMATS = {"tty", "lrc", "webvtt", "srt", "ass", "image2", "sami", "microdvd",
                      "subviewer", "subviewer1", "jacosub", "mpl2", "pjs", "realtext",
                      "vplayer", "aqtitle", "stl", "gif", "apng", "txt"}
_NOT_VIDEO_CODECS = {"ansi", "png", "mjpeg", "bmp", "gif", "webp", "tiff"}


class MediaError(ValueError):
    """The input is not usable media (not media, no audio, silent, too short)."""


@dataclass(frozen=True)
class MediaInfo:
    format: str
    duration: float | None     # seconds, when the container says
    has_audio: bool
    has_video: bool
    title: str | None          # from the container's tags, when present


def probe(path: Path) -> MediaInfo | None:
    """Return what the media holds, or None when the file is not media at all."""
    try:
        with av.open(str(path), metadata_errors="ignore") as c:
            fmt = c.format.name
            if fmt in _NOT_MEDIA_FORMATS or fmt.endswith("_pipe"):
                return None
            audio = any(s.type == "audio" for s in c.streams)
            video = any(s.type == "video" and s.codec_context.name not in _NOT_VIDEO_CODECS
                        for s in c.streams)
            if not (audio or video):
                return None
            tags = {k.lower(): v for k, v in c.metadata.items()}
            duration = c.duration / av.time_base if c.duration else None
            return MediaInfo(fmt, duration, audio, video, tags.get("title") or None)
    except (av.error.FFmpegError, UnicodeDecodeError, OSError, ValueError):
        return None


def decode(path: Path) -> np.ndarray:
    """Decode any media's first audio track to 16 kHz mono float32 in [-1, 1]."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    chunks: list[np.ndarray] = []
    try:
        with av.open(str(path), metadata_errors="ignore") as c:
            if not c.streams.audio:
                raise MediaError("no audio track")
            stream = c.streams.audio[0]
            for frame in c.decode(stream):
                frame.pts = None  # let the resampler re-time; avoids drift warnings
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
    except av.error.FFmpegError as e:
        # "[Errno 1094995529] Invalid data found when processing input: 'avcodec_send_packet()'"
        # says the file is damaged; the errno and the C function say nothing to a user
        why = getattr(e, "strerror", None) or str(e)
        hint = "; the file is damaged or truncated" if "invalid data" in why.lower() else ""
        raise MediaError(f"cannot decode audio ({why}){hint}") from None
    pcm = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
    return pcm.astype(np.float32) / 32768.0


def check_audio(audio: np.ndarray) -> None:
    """Reject audio that cannot hold speech: too short, or silent."""
    seconds = len(audio) / SAMPLE_RATE
    if seconds < MIN_AUDIO_S:
        raise MediaError(f"audio too short ({seconds:.2f} s; at least {MIN_AUDIO_S:.0f} s needed)")
    rms = float(np.sqrt(np.mean(np.square(audio, dtype=np.float64))))
    dbfs = 20 * np.log10(rms) if rms > 0 else -np.inf
    if dbfs < SILENCE_DBFS:
        raise MediaError(f"silent audio (level {dbfs:.0f} dBFS)")


def write_wav(path: Path, audio: np.ndarray) -> None:
    """16-bit mono WAV: fast to read back, no codec needed.

    Scaled by 32768 like decode() and read_wav(), so audio decoded from 16-bit
    PCM survives the round trip bit for bit: Whisper then sees exactly what it
    would have decoded itself (a 0.003% gain change was enough to change its
    segmentation and cost time).
    """
    pcm = np.clip(np.round(audio * 32768.0), -32768, 32767).astype("<i2")
    tmp = path.with_name(f".{path.name}.tmp")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(pcm.tobytes())
    tmp.replace(path)


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        if w.getframerate() != SAMPLE_RATE or w.getnchannels() != 1 or w.getsampwidth() != 2:
            raise MediaError(f"{path}: expected 16 kHz mono 16-bit WAV")
        raw = w.readframes(w.getnframes())
    return np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0
