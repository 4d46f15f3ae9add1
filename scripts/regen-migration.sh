#!/usr/bin/env bash
# Regenerate the initial migration from hotline/storage/models.py (only while nothing is deployed:
# once a release ships, add new revisions instead).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f hotline/storage/migrations/versions/0001_*.py
HOTLINE_VAR_DIR="$tmp" .venv/bin/python - <<'PY'
from alembic import command
from hotline.storage.db import alembic_config
from hotline.settings import get_settings
cfg = alembic_config(get_settings().effective_database_url)
command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
PY
for f in hotline/storage/migrations/versions/0001_*.py; do [ "$f" = hotline/storage/migrations/versions/0001_initial_schema.py ] || mv "$f" hotline/storage/migrations/versions/0001_initial_schema.py; done
rm -rf "$tmp"
echo "regenerated hotline/storage/migrations/versions/0001_initial_schema.py"
