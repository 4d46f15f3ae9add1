#!/usr/bin/env bash
# Set everything up on a fresh machine (Debian 12, Python 3.11, package registries only), then
# optionally serve. Idempotent: environments are reused while pyproject.toml is unchanged, and the
# model is retrained only when config.yml, bot/ or Rasa's data changed.
#   bash scripts/setup.sh            # set up
#   bash scripts/setup.sh --serve    # set up, then run the whole system on http://127.0.0.1:8000/
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
step() { printf '\n==> %s\n' "$*"; }
t0=$(date +%s)

command -v "$PY" >/dev/null || { echo "Python 3.11 is needed ($PY not found): apt-get install python3.11 python3.11-venv" >&2; exit 1; }

step "1/4 hotline environment (.venv)"
stamp=.venv/.hotline-stamp
want=$(sha256sum pyproject.toml | cut -c1-16)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "reusing .venv (pyproject.toml unchanged)"
else
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check --upgrade pip
  # torch first, the CPU build: argostranslate imports it; unpinned, pip would take a CUDA build of GBs.
  .venv/bin/pip install --disable-pip-version-check --progress-bar on torch==2.13.0
  .venv/bin/pip install --disable-pip-version-check --progress-bar on -e '.[test]'
  echo "$want" > "$stamp"
fi

step "2/4 Rasa environment (.venv-rasa)"
bash scripts/setup-rasa-env.sh

step "3/4 Rasa model"
bash scripts/train-model.sh

step "4/4 database"
mkdir -p var
.venv/bin/hotline db upgrade
echo "set-up finished in $(( $(date +%s) - t0 )) s"

if [ "${1:-}" = "--serve" ]; then
  shift
  exec .venv/bin/hotline serve "$@"
fi
