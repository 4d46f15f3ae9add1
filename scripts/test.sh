#!/usr/bin/env bash
# Run the whole test suite: sets up what it needs first (the same set-up as scripts/setup.sh, plus
# Debian's Chromium for the real-browser tests), then pytest, the NLU evaluation, the triage and
# language-ID evaluations and the locale check, all of which fail the run below their targets.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
if ! command -v chromium >/dev/null 2>&1; then
  printf '\n==> installing Debian chromium for browser tests\n'
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq chromium fonts-noto-core >/dev/null
fi
mkdir -p reports
printf '\n==> locale check\n'
.venv/bin/hotline locales check
printf '\n==> NLU evaluation (held-out split, intent macro-F1 per language)\n'
.venv-rasa/bin/python scripts/nlu_eval.py
printf '\n==> pytest\n'
exec .venv/bin/python -m pytest -q -p no:cacheprovider --junitxml=reports/junit.xml "$@"
