"""Which files the app may serve, and how lectures are played.

Only two kinds of file leave the server: a video's own media (the file that
source.json names inside its folder) and synthesized speech under the
library's ui/speech/ folder. Names from a request are never joined onto a
path as given: the video id must be one the catalog knows, the media name
comes from source.json and must be a plain "media.*" name, and speech paths
are checked against strict patterns. So "../" and absolute paths cannot
reach anything else. (A media file may be a symlink that ingest or the
owner placed in the folder; the folder entry is what is checked.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from assistant.citations import youtube_id
from ingest.sources import SourceInfo
from lectern.library import SOURCE, Library

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_MEDIA = re.compile(r"^media\.[A-Za-z0-9]{1,8}$")
_TURN = re.compile(r"^[0-9a-f]{32}$")
_PART = re.compile(r"^(\d{1,4}|all)\.wav$")


class NotServable(LookupError):
    """The requested file is not one the app serves (404, whatever the reason)."""


@dataclass(frozen=True)
class Playable:
    """How the browser plays a video: a YouTube embed or the app's own media URL."""

    video_id: str
    title: str
    kind: str          # "youtube" or "local" ("" when there is nothing to play)
    src: str           # YouTube video id, or /media/<id>
    has_video: bool


def source_info(lib: Library, video_id: str) -> SourceInfo | None:
    if not _ID.match(video_id) or lib.catalog.video(video_id) is None:
        return None
    path = lib.path(video_id, SOURCE)
    return SourceInfo.load(path) if path.exists() else None


def media_file(lib: Library, video_id: str) -> Path:
    info = source_info(lib, video_id)
    if info is None or not _MEDIA.match(info.media or ""):
        raise NotServable(video_id)
    path = lib.folder(video_id) / info.media
    if path.parent != lib.root / "videos" / video_id or not path.is_file():
        raise NotServable(video_id)
    return path


def playable(lib: Library, video_id: str) -> Playable:
    info = source_info(lib, video_id)
    if info is None:
        return Playable(video_id, video_id, "", "", False)
    yid = youtube_id(info.url or info.source) if info.kind == "url" else None
    if yid:  # the YouTube player shows the lecture as its audience saw it
        return Playable(video_id, info.title, "youtube", yid, True)
    has_media = bool(info.media) and (lib.folder(video_id) / info.media).is_file()
    return Playable(video_id, info.title, "local" if has_media else "",
                    f"/media/{video_id}" if has_media else "", info.has_video)


def speech_root(lib: Library) -> Path:
    return lib.root / "ui" / "speech"


def speech_file(lib: Library, turn: str, part: str) -> Path:
    if not (_TURN.match(turn) and _PART.match(part)):
        raise NotServable(f"{turn}/{part}")
    path = speech_root(lib) / turn / part
    if not path.is_file():
        raise NotServable(f"{turn}/{part}")
    return path
