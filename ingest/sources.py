"""Sources: what the user named (files, folders, URLs) -> videos with ids -> source.json.

Stage 1 of ingestion. `discover` turns the command line into candidates (or
rejections, each with a one-line reason); `fetch` brings one candidate's media
and captions into its folder in the library and writes source.json.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import urllib.parse
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator

from lectern import artifacts

from . import media, ytdlp

KIND, VERSION = "source", 1
CAPTION_EXTS = (".vtt", ".srt")
_URL = re.compile(r"^(https?|ftp)://", re.I)


@dataclass(frozen=True)
class Chapter:
    title: str
    start: float
    end: float | None = None


@dataclass(frozen=True)
class SourceInfo:
    video_id: str
    kind: str                      # "file" or "url"
    source: str                    # the absolute path or the URL it came from
    media: str                     # media file name inside the video's folder
    title: str
    duration: float | None = None
    uploader: str | None = None
    upload_date: str | None = None  # YYYY-MM-DD
    description: str | None = None
    url: str | None = None         # where people watch it (for links), None for files
    extractor: str | None = None   # yt-dlp's extractor ("youtube", "generic"...)
    chapters: tuple[Chapter, ...] = ()
    captions: tuple[str, ...] = ()  # caption file names inside the video's folder
    content_hash: str | None = None
    has_video: bool = False

    def save(self, path: Path, config: dict) -> None:
        payload = {k: getattr(self, k) for k in self.__dataclass_fields__}
        payload["chapters"] = [c.__dict__ for c in self.chapters]
        payload["captions"] = list(self.captions)
        artifacts.save(path, KIND, VERSION, payload, config)

    @classmethod
    def load(cls, path: Path) -> "SourceInfo":
        d = artifacts.load(path, KIND, VERSION)
        fields = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        fields["chapters"] = tuple(Chapter(**c) for c in d.get("chapters", []))
        fields["captions"] = tuple(d.get("captions", []))
        return cls(**fields)


@dataclass(frozen=True)
class Candidate:
    """A video to ingest, as known before fetching it."""

    source: str                    # absolute path, or the video's URL
    kind: str                      # "file" or "url"
    suggested_id: str              # slugified stem, or the platform's id
    info: media.MediaInfo | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Rejected:
    source: str
    error: str


def slug(text: str) -> str:
    """A filesystem- and URL-safe id that keeps case (YouTube ids are case-sensitive)."""
    s = re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-_")
    return s[:80] or "video"


def is_url(source: str) -> bool:
    return bool(_URL.match(source))


def discover(sources: list[str], skip: Path | None = None) -> Iterator[Candidate | Rejected]:
    """Expand files, folders (recursively, media by content) and URLs into candidates.

    `skip` is a folder never to descend into (the library itself, when someone
    ingests the folder that holds it).
    """
    for source in sources:
        if source.lower().startswith("file://"):
            source = urllib.parse.unquote(urllib.parse.urlsplit(source).path)
        if is_url(source):
            if why := _bad_url(source):
                yield Rejected(source, why)
                continue
            try:
                for video in ytdlp.expand(source):
                    yield Candidate(video.url, "url", slug(video.id or Path(video.url).stem))
            except ytdlp.SourceError as e:
                yield Rejected(source, str(e))
            continue
        path = Path(source).expanduser()
        if not path.exists():
            yield Rejected(source, "no such file or folder")
        elif path.is_dir():
            found = 0
            for item in _walk(path.resolve(), skip.resolve() if skip else None):
                found += 1
                yield item
            if not found:
                yield Rejected(source, "no media files in this folder")
        else:
            yield _local(path.resolve(), explicit=True)


def _bad_url(url: str) -> str | None:
    """Why a URL cannot be fetched at all, before yt-dlp tries (and raises from deep inside)."""
    parts = urllib.parse.urlsplit(url)
    if not parts.hostname:
        return "not a valid URL: it names no host"
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        return "not a valid URL: its port is not a number from 1 to 65535"
    return None


def _walk(folder: Path, skip: Path | None) -> Iterator[Candidate | Rejected]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and Path(root, d) != skip)
        for name in sorted(files):
            if name.startswith("."):
                continue
            found = _local(Path(root, name), explicit=False)
            if found is not None:
                yield found


def _local(path: Path, explicit: bool) -> Candidate | Rejected | None:
    """A local file as a candidate; in a folder scan, non-media is skipped silently."""
    try:
        mode = path.stat().st_mode
    except OSError as e:
        return Rejected(str(path), f"cannot read it ({e.strerror or e})")
    if not stat.S_ISREG(mode):   # opening a FIFO or a device would block or never end
        return Rejected(str(path), f"not a regular file (a {_special(mode)})")
    if not os.access(path, os.R_OK):
        return Rejected(str(path), "file is not readable")
    info = media.probe(path)
    if info is None:
        return Rejected(str(path), "not a media file") if explicit else None
    if not info.has_audio:
        return Rejected(str(path), "media has no audio track")
    return Candidate(str(path), "file", slug(path.stem), info)


def _special(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "FIFO"), (stat.S_ISCHR, "character device"),
                       (stat.S_ISBLK, "block device"), (stat.S_ISSOCK, "socket")):
        if test(mode):
            return name
    return "special file"


def file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(8 << 20):
            h.update(chunk)
    return h.hexdigest()


def fetch(c: Candidate, video_id: str, folder: Path, caption_langs: tuple[str, ...],
          url_format: str) -> SourceInfo:
    """Bring the media and captions into folder; return what is known of the video."""
    folder.mkdir(parents=True, exist_ok=True)
    if c.kind == "url":
        return _fetch_url(c, video_id, folder, caption_langs, url_format)
    return _fetch_file(c, video_id, folder)


def _fetch_file(c: Candidate, video_id: str, folder: Path) -> SourceInfo:
    src = Path(c.source)
    info = c.info or media.probe(src)
    if info is None:
        raise media.MediaError("not a media file")
    target = folder / f"media{src.suffix.lower() or '.' + info.format.split(',')[0]}"
    _link_or_copy(src, target)
    captions = []
    for side in sorted(src.parent.glob(f"{_glob_escape(src.stem)}.*")):
        if side.suffix.lower() in CAPTION_EXTS:
            middle = side.name[len(src.stem):-len(side.suffix)]  # ".en" in "x.en.vtt", or ""
            name = f"media{middle}{side.suffix.lower()}"
            shutil.copyfile(side, folder / name)
            captions.append(name)
    return SourceInfo(
        video_id=video_id, kind="file", source=str(src), media=target.name,
        title=info.title or title_from_name(src.stem), duration=info.duration,
        captions=tuple(captions), content_hash=file_hash(src), has_video=info.has_video,
    )


def title_from_name(stem: str) -> str:
    """A title for a file whose tags give none: "lecture_03_energy" -> "Lecture 03 energy".
    Students see it in the chat's chips and the lecture list, and the answer model reads it."""
    title = re.sub(r"[_\s]+", " ", stem).strip() or stem
    return title[:1].upper() + title[1:] if title.islower() else title


def _glob_escape(s: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", s)


def _link_or_copy(src: Path, dst: Path) -> None:
    """Hard-link when on the same filesystem (no extra disk), else copy."""
    if dst.exists() and dst.stat().st_size == src.stat().st_size:
        return
    tmp = dst.with_name(f".{dst.name}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copyfile(src, tmp)
    tmp.replace(dst)


def _fetch_url(c: Candidate, video_id: str, folder: Path, caption_langs: tuple[str, ...],
               url_format: str) -> SourceInfo:
    info = ytdlp.download(c.source, folder, caption_langs, url_format)
    media_files = [p for p in folder.glob("media.*")
                   if p.suffix.lower() not in CAPTION_EXTS and not p.name.endswith(".part")]
    if not media_files:
        raise ytdlp.SourceError("download produced no media file")
    media_file = max(media_files, key=lambda p: p.stat().st_size)
    probed = media.probe(media_file)
    if probed is None:
        raise media.MediaError("downloaded file is not media")
    captions = sorted(p.name for p in folder.glob("media.*") if p.suffix.lower() in CAPTION_EXTS)
    date = info.get("upload_date")
    extractor = (info.get("extractor_key") or info.get("extractor") or "").lower() or None
    return SourceInfo(
        video_id=video_id, kind="url", source=c.source, media=media_file.name,
        title=info.get("title") or video_id, duration=info.get("duration") or probed.duration,
        uploader=info.get("uploader") or info.get("channel"),
        upload_date=f"{date[:4]}-{date[4:6]}-{date[6:]}" if date and len(date) == 8 else None,
        description=info.get("description"), url=info.get("webpage_url") or c.source,
        extractor=extractor,
        chapters=tuple(Chapter(ch.get("title") or "", float(ch["start_time"]), ch.get("end_time"))
                       for ch in info.get("chapters") or []),
        captions=tuple(captions), content_hash=None, has_video=probed.has_video,
    )


def with_id(info: SourceInfo, video_id: str) -> SourceInfo:
    return replace(info, video_id=video_id)
