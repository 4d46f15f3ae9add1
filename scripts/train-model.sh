#!/usr/bin/env bash
# Train the Rasa model only when its inputs changed.
#
# Inputs: config.yml, bot/ (domain, endpoints are hashed too: cheap and safe), data/nlu/,
# data/rules.yml, data/stories.yml. Their content hash names the model, models/<hash>.tar.gz; a
# copy is kept in ${XDG_CACHE_HOME:-~/.cache}/hotline/models/ so a fresh clone on the same machine
# reuses it instead of training again. models/current is a symlink to the model in use.
# data/ also holds datasets that are not Rasa files (data/triage, data/langid), so training names
# its inputs explicitly.
#
# Usage: scripts/train-model.sh [--force] [--print-path]
#   --force        train even if a model with this hash exists
#   --print-path   print only the model path on stdout (progress goes to stderr)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
RASA_VENV=${RASA_VENV:-$ROOT/.venv-rasa}
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/hotline/models"
FORCE=0
PRINT_PATH=0
for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    --print-path) PRINT_PATH=1 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown option: $arg" >&2; exit 2 ;;
  esac
done
say() { echo "[train-model] $*" >&2; }

INPUTS=(config.yml bot data/nlu data/rules.yml data/stories.yml)
for p in "${INPUTS[@]}"; do
  [ -e "$p" ] || { say "missing input: $p"; exit 1; }
done
# Hash file names and contents (sorted, so the order of the file system does not matter) plus the
# Rasa version, which changes the model format.
RASA_VERSION=$("$RASA_VENV/bin/python" -c 'import rasa; print(rasa.__version__)' 2>/dev/null)
HASH=$( { echo "rasa=$RASA_VERSION"
          find "${INPUTS[@]}" -type f \( -name '*.yml' -o -name '*.yaml' -o -name '*.md' \) -print0 \
            | LC_ALL=C sort -z | xargs -0 sha256sum; } | sha256sum | cut -c1-16)
MODEL="models/$HASH.tar.gz"
mkdir -p models "$CACHE_DIR"
# One training at a time in this checkout (the supervisor, a test session and a person may all call
# this script): a second caller waits, then finds the model the first one trained.
exec 9>models/.train.lock
if ! flock -n 9; then
  say "another training is running in this checkout; waiting for it"
  flock 9
fi

link_current() {
  ln -sfn "$HASH.tar.gz" models/current.tmp && mv -Tf models/current.tmp models/current
  say "models/current -> $MODEL"
  if [ "$PRINT_PATH" = 1 ]; then echo "$ROOT/$MODEL"; fi
}

if [ "$FORCE" = 0 ] && [ -s "$MODEL" ]; then
  say "inputs unchanged (hash $HASH): reusing $MODEL"
  link_current; exit 0
fi
if [ "$FORCE" = 0 ] && [ -s "$CACHE_DIR/$HASH.tar.gz" ]; then
  say "reusing cached model $CACHE_DIR/$HASH.tar.gz"
  cp "$CACHE_DIR/$HASH.tar.gz" "$MODEL.tmp" && mv -f "$MODEL.tmp" "$MODEL"
  link_current; exit 0
fi

LANGS=$(cd data/nlu && ls *.yml 2>/dev/null | sed 's/\.yml$//' | tr '\n' ' ')
say "training model $HASH (languages: $LANGS) with rasa $RASA_VERSION"
START=$(date +%s)
OUT_DIR=$(mktemp -d "$ROOT/models/.train-XXXXXX")
trap 'rm -rf "$OUT_DIR"' EXIT
# No telemetry, no network: nothing in this pipeline downloads anything.
RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 \
  "$RASA_VENV/bin/rasa" train \
    --config config.yml --domain bot/domain.yml \
    --data data/nlu data/rules.yml data/stories.yml \
    --out "$OUT_DIR" --fixed-model-name "$HASH" 1>&2
[ -s "$OUT_DIR/$HASH.tar.gz" ] || { say "rasa train produced no model"; exit 1; }
mv -f "$OUT_DIR/$HASH.tar.gz" "$MODEL"
cp "$MODEL" "$CACHE_DIR/$HASH.tar.gz.tmp" && mv -f "$CACHE_DIR/$HASH.tar.gz.tmp" "$CACHE_DIR/$HASH.tar.gz"
say "trained in $(( $(date +%s) - START )) s: $MODEL (cached in $CACHE_DIR)"
link_current
