"""Seconds as people read them in a lecture: "7:05", "1:02:05"."""

from __future__ import annotations


def clock(seconds: float | None) -> str:
    """m:ss, or h:mm:ss from an hour on; "?" when unknown."""
    if seconds is None:
        return "?"
    s = int(seconds)
    h, m, s = s // 3600, s // 60 % 60, s % 60
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
