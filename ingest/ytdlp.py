"""The one adapter to yt-dlp: expand URLs into videos, download media and captions.

yt-dlp knows YouTube videos, playlists and channels and ~1,800 other sites,
and its "generic" extractor takes direct media URLs and podcast feeds. Its
errors are multi-line and prefixed; they are boiled down to one line here.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

log = logging.getLogger(__name__)

MAX_NESTING = 3  # channel -> tab -> playlist -> video


class SourceError(RuntimeError):
    """A URL could not be expanded or downloaded (unreachable, unsupported, private...)."""


@dataclass(frozen=True)
class RemoteVideo:
    url: str            # the video's own URL
    id: str | None      # the platform's id when the listing already says


class _Logger:
    """Route yt-dlp's chatter to logging instead of the terminal."""

    def debug(self, msg: str) -> None:
        log.debug("yt-dlp: %s", msg)

    def info(self, msg: str) -> None:
        log.debug("yt-dlp: %s", msg)

    def warning(self, msg: str) -> None:
        log.info("yt-dlp: %s", msg)

    def error(self, msg: str) -> None:
        log.debug("yt-dlp: %s", msg)


def _ffmpeg() -> str | None:
    try:
        import imageio_ffmpeg
        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception:  # no ffmpeg: single-file formats still download
        return None


def one_line(err: BaseException) -> str:
    """yt-dlp's error as one line: without colours, "ERROR:", progress lines ("\\r[download]
    ..." would leave an empty first line) and the bug-report boilerplate."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(err))
    lines = [re.sub(r"^(ERROR:\s*)?(\[download\]\s*)?(Got error:\s*)?", "", ln.strip())
             for ln in text.replace("\r", "\n").splitlines()]
    msg = next((ln for ln in lines if ln), "") or repr(err)
    msg = re.sub(r"\s*\(caused by .*$", "", msg)
    msg = re.sub(r";\s*please report this issue.*$", "", msg, flags=re.I)
    if re.search(r"bytes read, \d+ more expected", msg):   # the server closed mid-file
        msg = f"the download ended early ({msg})"
    return msg


def _options(**extra) -> dict:
    opts = {"quiet": True, "no_warnings": True, "noprogress": True, "logger": _Logger(),
            "socket_timeout": 20, "retries": 2, "noplaylist": False}
    if ffmpeg := _ffmpeg():
        opts["ffmpeg_location"] = ffmpeg
    opts.update(extra)
    return opts


def expand(url: str) -> Iterator[RemoteVideo]:
    """The videos behind a URL: itself, or a playlist's/channel's entries."""
    import yt_dlp

    with yt_dlp.YoutubeDL(_options(extract_flat="in_playlist")) as ydl:
        yield from _expand(ydl, url, 0)


def _expand(ydl, url: str, depth: int) -> Iterator[RemoteVideo]:
    import yt_dlp

    try:
        info = ydl.extract_info(url, download=False)
    except yt_dlp.utils.YoutubeDLError as e:   # DownloadError, and network errors raised bare
        raise SourceError(one_line(e)) from None
    if info is None:
        raise SourceError("nothing to download at this URL")
    if info.get("_type") not in ("playlist", "multi_video"):
        yield RemoteVideo(info.get("webpage_url") or url, info.get("id"))
        return
    for entry in info.get("entries") or []:
        if not entry:
            continue  # yt-dlp leaves None for private/removed playlist items
        entry_url = entry.get("url") or entry.get("webpage_url")
        if entry.get("_type") == "playlist" or (
                entry.get("ie_key") in ("YoutubeTab",) and depth < MAX_NESTING):
            yield from _expand(ydl, entry_url, depth + 1)
        elif entry_url:
            yield RemoteVideo(entry_url, entry.get("id"))


def download(url: str, folder: Path, caption_langs: tuple[str, ...], fmt: str) -> dict:
    """Download one video's media (and captions) into folder; returns yt-dlp's info.

    The media lands as media.<ext>; captions as media.<lang>.<vtt|srt>. yt-dlp
    writes .part files and renames them when complete, so a killed download
    never looks finished.
    """
    import yt_dlp

    folder.mkdir(parents=True, exist_ok=True)
    opts = _options(
        format=fmt, outtmpl={"default": str(folder / "media.%(ext)s")}, noplaylist=True,
        writesubtitles=True, writeautomaticsub=True, subtitleslangs=list(caption_langs),
        subtitlesformat="vtt/srt/best", overwrites=False, continuedl=True,
    )
    try:
        with yt_dlp.YoutubeDL(opts) as ydl:
            info = ydl.extract_info(url, download=True)
    except yt_dlp.utils.YoutubeDLError as e:   # DownloadError, and network errors raised bare
        raise SourceError(one_line(e)) from None
    if not info:
        raise SourceError("nothing to download at this URL")
    return ydl.sanitize_info(info)
