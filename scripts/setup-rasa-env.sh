#!/usr/bin/env bash
# Create Rasa's own virtual environment (.venv-rasa) on Python 3.11.
#
# Why a separate environment: Rasa 3.6.21 pins an old stack (pydantic 1, SQLAlchemy 1.4,
# Sanic 21) and declares Requires-Python <3.11. ../shared/domain/STACK-NOTES.md records the
# recipe measured on this machine: install rasa without deps ignoring Requires-Python, then its
# dependencies (those whose markers hold on 3.11) preferring wheels, plus pins with cp311 wheels.
# Idempotent: a finished environment is recognised by its stamp file and left alone.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
VENV=${RASA_VENV:-.venv-rasa}
STAMP="$VENV/.hotline-rasa-ready"
RASA_VERSION=3.6.21
RASA_SDK_VERSION=3.6.2
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$RASA_VERSION/$RASA_SDK_VERSION" ]; then
  echo "[rasa-env] $VENV ready (rasa $RASA_VERSION), reusing it"
  exit 0
fi
echo "[rasa-env] creating $VENV with $PY (takes ~4 min the first time)"
"$PY" -m venv "$VENV"
PIP=("$VENV/bin/pip" --disable-pip-version-check)
"${PIP[@]}" install -q --upgrade "pip<25" wheel "setuptools<70"
echo "[rasa-env] 1/3 rasa $RASA_VERSION (no deps)"
"${PIP[@]}" install -q --no-deps --ignore-requires-python "rasa==$RASA_VERSION"
echo "[rasa-env] 2/3 resolving rasa's dependencies for this Python"
REQS="$VENV/rasa-requirements.txt"
"$VENV/bin/python" - "$REQS" <<'PY'
import sys
from importlib.metadata import requires
from pip._vendor.packaging.requirements import Requirement
# Rasa's markers stop at 3.10 for these; the pinned versions below have cp311 wheels.
pinned = {"numpy", "scipy", "scikit-learn", "dask", "matplotlib", "tensorflow",
          "tensorflow-io-gcs-filesystem", "tensorflow-text", "rasa-sdk"}
out = []
for raw in requires("rasa") or []:
    req = Requirement(raw)
    if req.marker is not None and not req.marker.evaluate({"extra": ""}):
        continue
    if req.name.lower() in pinned:
        continue
    req.marker = None
    out.append(str(req))
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY
echo "[rasa-env] 3/3 installing $(wc -l < "$REQS") dependencies and pinned wheels"
"${PIP[@]}" install --progress-bar on --ignore-requires-python --prefer-binary -r "$REQS" \
  numpy==1.23.5 scipy==1.10.1 scikit-learn==1.1.3 dask==2022.10.2 matplotlib==3.6.3 \
  tensorflow==2.12.0 tensorflow-io-gcs-filesystem==0.32.0 tensorflow-text==2.12.0 \
  "rasa-sdk==$RASA_SDK_VERSION" 2>&1 | grep -vE '^(Requirement already|  Using cached|Collecting|  Downloading|Using cached)' || true
"$VENV/bin/python" -c "import rasa, rasa_sdk; print('[rasa-env] rasa', rasa.__version__, 'sdk', rasa_sdk.__version__)"
echo "$RASA_VERSION/$RASA_SDK_VERSION" > "$STAMP"
