#!/usr/bin/env bash
# The test suite on the lowest versions pyproject.toml allows: each required package pinned to its
# floor (">=X" becomes "==X"), into a fresh virtual environment. Needs the package index (PyPI);
# torch's floor has no CPU build there, so its CUDA build (about 3 GB with its libraries) is
# installed and runs on the CPU. The atom mapper's extra is left out: it needs a newer torch.
#
#   scripts/min_versions.sh [VENV]      (default /tmp/ltdd-min; pytest arguments after it)
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${1:-/tmp/ltdd-min}"
shift || true
python="${PYTHON:-python3.11}"

pins="$("$python" - <<'EOF'
import re
import tomllib

project = tomllib.load(open("pyproject.toml", "rb"))["project"]
floors = [re.sub(r">=", "==", req) for req in project["dependencies"]]
tools = [req for req in project["optional-dependencies"]["test"] if not req.startswith("sklearn-ltdd")]
# pyarrow 26 needs numpy 2 and does not say so (docs/getting_started.md)
print("\n".join([*floors, *tools, "pyarrow<26"]))
EOF
)"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q uv
mapfile -t requirements <<<"$pins"
# unsafe-best-match: a floor may be on PyPI only, and a local index may list the package too
"$venv/bin/uv" pip install -q --python "$venv/bin/python" --index-url https://pypi.org/simple \
    --index-strategy unsafe-best-match "${requirements[@]}" -e ".[plot,dask,parquet,notebooks,docs]"
"$venv/bin/python" -c "import importlib.metadata as m
print(*(f'{p} {m.version(p)}' for p in ('torch', 'torch-geometric', 'rdkit', 'scikit-learn', 'numpy',
      'pandas', 'skorch', 'joblib', 'tqdm', 'pyarrow')), sep=', ')"
PATH="$venv/bin:$PATH" exec "$venv/bin/python" -m pytest -n 2 -p no:cacheprovider "$@"  # the venv's ruff, for the test that runs it
