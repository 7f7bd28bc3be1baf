"""The voice profile on disk: reference clips, conversion statistics, trained mapping.

    $LECTERN_HOME/voice/<name>/
      profile.json     what was enrolled from where, measured numbers, the config
      refs/NN.wav      the reference clips (16 kHz), for XTTS and for re-enrolling
      stats.npz        zero-shot statistics (pitch, warp, EQ)
      mapper.pt        the adapted envelope mapping, when transcribed speech existed
      pool.npz         the instructor's analysed frames, for exemplar selection (exemplar.py)

Everything is written atomically, profile.json last, so a profile that loads
is complete.
"""

from __future__ import annotations

import io
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from lectern import artifacts
from lectern.config import home

from .convert import SpeakerStats, ZeroShotMap
from .exemplar import FramePool
from .errors import ProfileError

# 2: pool.npz added (exemplar selection). A version-1 profile is refused with
# "enroll again": its conversion settings were tuned without the pool.
KIND, VERSION = "voice-profile", 2
# Every profile and every file made from one says what it is: a synthesized voice.
LABEL = "synthesized voice (AI-generated speech, not a recording of the instructor)"


@dataclass(frozen=True)
class ClipInfo:
    file: str             # refs/NN.wav
    source: str           # where it came from (a file path, or "video:<id>")
    start: float
    end: float
    text: str             # "" when unknown
    confidence: float     # mean ASR word probability (1.0 for user-given text)


@dataclass(frozen=True)
class Profile:
    name: str
    folder: Path
    clips: tuple[ClipInfo, ...]
    base_voice: str
    zero_shot: ZeroShotMap
    speaking_rate: float          # instructor seconds per Piper second on the same text
    adapted: bool
    pool: FramePool
    report: dict = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(c.end - c.start for c in self.clips)

    @property
    def auto_mode(self) -> str:
        """The mode "auto" speaks in: adapted where it was trained, unless enrollment's tuning
        found zero-shot more alike (tune.preferred_mode; older profiles did not record it)."""
        if not self.adapted or self.report.get("auto") == "zero-shot":
            return "zero-shot"
        return "adapted"

    @property
    def modes(self) -> str:
        """What enrollment built and what "auto" speaks, for messages: "adapted, speaks zero-shot"."""
        return f"adapted, speaks {self.auto_mode}" if self.adapted else "zero-shot"

    def ref_paths(self) -> list[Path]:
        return [self.folder / c.file for c in self.clips]

    def mapper(self):
        if not self.adapted:
            return None
        from .adapt import EnvelopeMapper
        return EnvelopeMapper.load(self.folder / "mapper.pt")

    @property
    def key(self) -> str:
        """Changes whenever the profile is re-enrolled: part of the audio cache key."""
        return f"{self.name}@{self.report.get('created', '')}"


def profile_dir(name: str, root: Path | None = None) -> Path:
    if not name or "/" in name or name.startswith("."):
        raise ProfileError(f"voice profile name {name!r} is not a plain name")
    return (root or home()) / "voice" / name


def save_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    artifacts.write_atomic(path, buf.getvalue())


def save(profile: Profile, config: dict) -> None:
    zs = profile.zero_shot
    save_npz(profile.folder / "stats.npz", {**zs.source.to_arrays("source"), **zs.target.to_arrays("target"),
                                            "alpha": np.array([zs.alpha]), "eq": zs.eq})
    save_npz(profile.folder / "pool.npz", profile.pool.to_arrays())
    payload = {"name": profile.name, "label": LABEL, "synthetic": True, "base_voice": profile.base_voice,
               "adapted": profile.adapted, "speaking_rate": round(profile.speaking_rate, 4),
               "alpha": round(zs.alpha, 4), "seconds": round(profile.seconds, 2), "pool_frames": len(profile.pool),
               "f0_hz": {"source": round(float(np.exp(zs.source.lf0_mean)), 1),
                         "target": round(float(np.exp(zs.target.lf0_mean)), 1)},
               "report": profile.report, "clips": [asdict(c) for c in profile.clips]}
    artifacts.save(profile.folder / "profile.json", KIND, VERSION, payload, config)


def load(name: str, root: Path | None = None) -> Profile:
    folder = profile_dir(name, root)
    try:
        doc = artifacts.load(folder / "profile.json", KIND, VERSION)
        with np.load(folder / "stats.npz") as z:
            zs = ZeroShotMap(SpeakerStats.from_arrays(z, "source"), SpeakerStats.from_arrays(z, "target"),
                             float(z["alpha"][0]), np.array(z["eq"]))
        with np.load(folder / "pool.npz") as z:
            pool = FramePool.from_arrays(z)
    except artifacts.ArtifactError as e:
        raise ProfileError(f"voice profile {name!r}: {e} (run `lectern voice enroll`)") from None
    except (OSError, KeyError, ValueError) as e:
        raise ProfileError(f"voice profile {name!r}: stats.npz or pool.npz unreadable ({e}); enroll again") from None
    clips = tuple(ClipInfo(**c) for c in doc["clips"])
    if doc["adapted"] and not (folder / "mapper.pt").exists():
        raise ProfileError(f"voice profile {name!r}: mapper.pt is missing; enroll again")
    report = dict(doc.get("report") or {}, created=doc["created"])
    return Profile(doc["name"], folder, clips, doc["base_voice"], zs, doc["speaking_rate"],
                   doc["adapted"], pool, report)
