"""Adaptation: a small envelope mapping learnt from the instructor's transcribed speech.

Piper speaks the same sentences the instructor spoke; both are analysed with
WORLD, the zero-shot conversion is applied to Piper's side, and the two
sequences of coded envelopes (mel-cepstra) are aligned with DTW. A small MLP
then learns target envelope from source envelope (with a few frames of
context), on CPU in about a minute for two minutes of speech.

Frame-wise regression over-smooths: predicted envelopes vary less than real
ones, which sounds muffled and is what makes speaker encoders say "not the
same person". Global variance (GV) restoration scales each predicted
dimension back to the target's measured spread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import world

log = logging.getLogger(__name__)

SEED = 0


@dataclass(frozen=True)
class TrainReport:
    frames: int
    epochs: int
    loss: float         # final training MSE (normalised units)
    seconds: float


def _cmvn(c: np.ndarray) -> np.ndarray:
    return (c - c.mean(0)) / (c.std(0) + 1e-6)


def align(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """DTW path (pairs of frame indices) between two coded-envelope sequences.

    c0 (energy) is left out and each side is mean/variance normalised, so the
    path follows phonetic content, not loudness or the speakers' timbre.
    """
    import librosa
    _, path = librosa.sequence.dtw(X=_cmvn(source)[:, 1:].T, Y=_cmvn(target)[:, 1:].T,
                                   metric="euclidean")
    return path[::-1]


def context(c: np.ndarray, n: int) -> np.ndarray:
    """Stack n frames either side onto each frame (edges repeated)."""
    if n == 0:
        return c
    p = np.pad(c, ((n, n), (0, 0)), mode="edge")
    return np.concatenate([p[i:i + len(c)] for i in range(2 * n + 1)], 1)


class EnvelopeMapper:
    """MLP on coded envelopes, with its normalisation and GV statistics."""

    def __init__(self, dims: int, ctx: int, hidden: int):
        import torch
        self.dims, self.ctx, self.hidden = dims, ctx, hidden
        torch.manual_seed(SEED)
        inp = dims * (2 * ctx + 1)
        self.net = torch.nn.Sequential(
            torch.nn.Linear(inp, hidden), torch.nn.Tanh(),
            torch.nn.Linear(hidden, hidden), torch.nn.Tanh(),
            torch.nn.Linear(hidden, dims))
        self.x_mean = np.zeros(inp)
        self.x_std = np.ones(inp)
        self.y_mean = np.zeros(dims)
        self.y_std = np.ones(dims)
        self.gv = np.ones(dims)      # target's per-dimension standard deviation
        self.gv_weight = 1.0         # 0: no GV restoration, 1: full
        self.unvoiced_weight = 1.0   # share of the strength applied to unvoiced frames

    def predict(self, coded: np.ndarray) -> np.ndarray:
        import torch
        x = (context(coded, self.ctx) - self.x_mean) / self.x_std
        with torch.no_grad():
            y = self.net(torch.as_tensor(x, dtype=torch.float32)).numpy()
        # the net predicts the change to the frame, not the frame: small data
        # then moves the envelope toward the instructor without re-inventing
        # the phonetic detail that the source frame already carries
        y = coded + y * self.y_std + self.y_mean
        if len(y) <= 20 or self.gv_weight == 0:
            return y
        # GV restoration around the utterance mean
        mean = y.mean(0)
        scale = (self.gv / (y.std(0) + 1e-6)) ** self.gv_weight
        return (y - mean) * scale + mean

    def convert_coded(self, logsp: np.ndarray, rate: int, strength: float,
                      voiced: np.ndarray | None = None) -> np.ndarray:
        """The mapped coded envelope (frames x dims) of log envelopes (frames x bins)."""
        coded = world.encode_envelope(np.exp(logsp), rate, self.dims)
        weight = np.full((len(coded), 1), strength)
        if voiced is not None:
            # Unvoiced frames (fricatives, bursts) carry little of who is
            # speaking and much of what is said; the mapping smears them.
            weight[~voiced] *= self.unvoiced_weight
        mapped = coded + weight * (self.predict(coded) - coded)
        mapped[:, 0] = coded[:, 0]   # keep the source's energy contour: loudness is prosody
        return mapped

    def fit(self, pairs: list[tuple[np.ndarray, np.ndarray]], epochs: int) -> TrainReport:
        """pairs: (source coded with context, target coded), aligned frame by frame."""
        import time

        import torch
        t0 = time.monotonic()
        x = np.concatenate([s for s, _ in pairs])
        center = slice(self.ctx * self.dims, (self.ctx + 1) * self.dims)
        y = np.concatenate([t - s[:, center] for s, t in pairs])
        self.x_mean, self.x_std = x.mean(0), x.std(0) + 1e-6
        self.y_mean, self.y_std = y.mean(0), y.std(0) + 1e-6
        self.gv = np.concatenate([t - t.mean(0) for _, t in pairs]).std(0)
        xt = torch.as_tensor((x - self.x_mean) / self.x_std, dtype=torch.float32)
        yt = torch.as_tensor((y - self.y_mean) / self.y_std, dtype=torch.float32)
        opt = torch.optim.Adam(self.net.parameters(), lr=1e-3, weight_decay=1e-5)
        gen = torch.Generator().manual_seed(SEED)
        loss = torch.tensor(0.0)
        self.net.train()
        for _ in range(epochs):
            order = torch.randperm(len(xt), generator=gen)
            for i in range(0, len(xt), 256):
                b = order[i:i + 256]
                loss = torch.mean((self.net(xt[b]) - yt[b]) ** 2)
                opt.zero_grad()
                loss.backward()
                opt.step()
        self.net.eval()
        return TrainReport(len(x), epochs, loss.item(), time.monotonic() - t0)

    def save(self, path: Path) -> None:
        import io

        import torch

        from lectern.artifacts import write_atomic
        state = {"net": self.net.state_dict(),
                 "meta": torch.tensor([self.dims, self.ctx, self.hidden]),
                 **{k: torch.as_tensor(getattr(self, k)) for k in ("x_mean", "x_std", "y_mean", "y_std", "gv")}}
        buf = io.BytesIO()
        torch.save(state, buf)
        write_atomic(path, buf.getvalue())

    @classmethod
    def load(cls, path: Path) -> "EnvelopeMapper":
        import torch
        state = torch.load(path, map_location="cpu", weights_only=True)
        dims, ctx, hidden = (int(v) for v in state["meta"])
        m = cls(dims, ctx, hidden)
        m.net.load_state_dict(state["net"])
        m.net.eval()
        for k in ("x_mean", "x_std", "y_mean", "y_std", "gv"):
            setattr(m, k, state[k].numpy())
        return m


def aligned_pairs(sources: list[np.ndarray], targets: list[np.ndarray], ctx: int,
                  guides: list[np.ndarray] | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """(source frames with context, target frames) along each DTW path.

    Context is stacked before warping so it holds real neighbouring frames,
    not DTW's repeats. `guides` (what to align instead of the sources) lets
    a second pass align the mapped source, which is closer to the target.
    """
    out = []
    for i, (s, t) in enumerate(zip(sources, targets)):
        path = align(guides[i] if guides else s, t)
        out.append((context(s, ctx)[path[:, 0]], t[path[:, 1]]))
    return out


def train(sources: list[np.ndarray], targets: list[np.ndarray], dims: int, ctx: int,
          hidden: int, epochs: int) -> tuple[EnvelopeMapper, TrainReport]:
    """Align each (Piper, instructor) utterance, then fit the mapper on all frames.

    Alignment runs twice: the second pass aligns the *mapped* source to the
    target, which is closer than the raw source and so gives cleaner pairs.
    """
    mapper = EnvelopeMapper(dims, ctx, hidden)
    first = mapper.fit(aligned_pairs(sources, targets, ctx), max(epochs // 3, 1))
    log.info("adaptation pass 1: %d frames, loss %.3f", first.frames, first.loss)
    mapped = [mapper.predict(s) for s in sources]
    mapper = EnvelopeMapper(dims, ctx, hidden)
    report = mapper.fit(aligned_pairs(sources, targets, ctx, mapped), epochs)
    return mapper, TrainReport(report.frames, report.epochs + first.epochs, report.loss,
                               report.seconds + first.seconds)
