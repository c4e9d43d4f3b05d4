#!/usr/bin/env bash
# One entry point for a fresh machine (Python >= 3.11 and nothing else):
#   ./dev.sh demo   set up .venv if needed, then run the demo on the embedded reaction templates
#   ./dev.sh test   set up .venv if needed, then run the test suite, a worker per core (extra args go
#                   to pytest; -n 0 runs it in one process)
#   ./dev.sh docs   set up .venv if needed, then build the documentation into docs/_build/html
#   ./dev.sh setup  only set up
#
# Torch: by default the CPU build torch==2.13.0 is installed, taken from the wheel folder named by
# PIP_FIND_LINKS when there is one. To use another build (e.g. CUDA), either install it into .venv
# first (an importable torch is kept), or set LTDD_TORCH to a pip requirement and, if needed,
# LTDD_TORCH_INDEX to the index that serves it, e.g.
#   LTDD_TORCH="torch==2.6.0" LTDD_TORCH_INDEX=https://download.pytorch.org/whl/cu124 ./dev.sh setup
set -euo pipefail
cd "$(dirname "$0")"

VENV=.venv
PY="$VENV/bin/python"
STAMP="$VENV/.sklearn-ltdd-installed"

find_python() {
    for candidate in "${PYTHON:-}" python3.11 python3.12 python3.13 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 \
            && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return
        fi
    done
    echo "dev.sh: need Python >= 3.11 (set PYTHON=/path/to/python)" >&2
    exit 1
}

setup() {
    [ -x "$PY" ] || "$(find_python)" -m venv "$VENV"
    local want
    want="$(cat pyproject.toml; echo "${LTDD_TORCH:-}${LTDD_TORCH_INDEX:-}")"
    want="$(printf '%s' "$want" | "$PY" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')"
    if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
        return  # already set up for this pyproject.toml and torch choice
    fi

    local torch_args=()
    if [ -n "${LTDD_TORCH:-}" ]; then
        torch_args=("$LTDD_TORCH")
    elif ! "$PY" -c 'import torch' >/dev/null 2>&1; then
        # An unpinned torch would pull several GB of CUDA wheels; the pin takes the CPU wheel.
        torch_args=("torch==2.13.0")
    fi
    local source_args=()
    [ -n "${PIP_FIND_LINKS:-}" ] && [ -d "${PIP_FIND_LINKS}" ] && source_args+=(--find-links "$PIP_FIND_LINKS")
    [ -n "${LTDD_TORCH_INDEX:-}" ] && source_args+=(--extra-index-url "$LTDD_TORCH_INDEX")

    "$PY" -m pip install -q uv
    # --find-links must sit in the same uv command as the torch pin (uv ignores PIP_FIND_LINKS).
    # ${a[@]+"${a[@]}"}: an empty array is "unbound" under set -u to bash before 4.4 (macOS's 3.2)
    "$VENV/bin/uv" pip install -q --python "$PY" --compile-bytecode ${source_args[@]+"${source_args[@]}"} \
        ${torch_args[@]+"${torch_args[@]}"} -e ".[test]"
    "$PY" -c 'import torch, torch_geometric, rdkit, sklearn, skorch' \
        || { echo "dev.sh: installed packages do not import" >&2; exit 1; }
    echo "$want" > "$STAMP"
}

cmd="${1:-demo}"
shift || true
case "$cmd" in
    setup) setup ;;
    demo) setup; exec "$PY" -m sklearn_ltdd.demo "$@" ;;
    test) setup; exec "$PY" -m pytest -n auto --maxprocesses 8 "$@" ;;
    docs) setup; exec "$PY" -m sphinx -W --keep-going -b html docs docs/_build/html "$@" ;;
    *) echo "usage: ./dev.sh {demo|test|docs|setup} [args]" >&2; exit 2 ;;
esac
