#!/usr/bin/env bash
# The test suite on the lowest versions pyproject.toml allows: each required package pinned to its
# floor (">=X" becomes "==X"), in a fresh virtual environment. Needs PyPI; torch's floor has no CPU
# build there, so its CUDA build (about 3 GB with its libraries) is installed and runs on the CPU.
# The atom mapper's extra is left out: it needs a newer torch. Python 3.11, the newest Python that
# numpy's floor has wheels for.
#
#   scripts/min_versions.sh [VENV [PYTEST ARGS...]]     (VENV default /tmp/ltdd-min, emptied first)
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${1:-/tmp/ltdd-min}"
shift || true
python="${PYTHON:-python3.11}"

pins="$("$python" - <<'EOF'
import re
import sys
import tomllib

project = tomllib.load(open("pyproject.toml", "rb"))["project"]
floors = []
for requirement in project["dependencies"]:
    floor = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9.]+)", requirement)
    if floor is None:
        sys.exit(f"min_versions.sh: {requirement!r} is not NAME>=FLOOR; pin it here by hand")
    floors.append(f"{floor[1]}=={floor[2]}")
tools = [req for req in project["optional-dependencies"]["test"] if not req.startswith("sklearn-ltdd")]
# pyarrow 26 needs numpy 2 and does not say so (docs/getting_started.md)
print("\n".join([*floors, *tools, "pyarrow<26"]))
EOF
)"
"$python" -m venv --clear "$venv"
"$venv/bin/python" -m pip install -q uv
mapfile -t requirements <<<"$pins"
"$venv/bin/uv" pip install -q --python "$venv/bin/python" --index-url https://pypi.org/simple \
    "${requirements[@]}" -e ".[plot,dask,parquet,notebooks,docs]"
"$venv/bin/python" -c "import importlib.metadata as m
print(*(f'{p} {m.version(p)}' for p in ('torch', 'torch-geometric', 'rdkit', 'scikit-learn', 'numpy',
      'pandas', 'skorch', 'joblib', 'tqdm', 'tabulate', 'pyarrow')), sep=', ')"
exec "$venv/bin/python" -m pytest -n auto --maxprocesses 8 -p no:cacheprovider "$@"
