"""scripts/train-model.sh: trains only when its inputs change, reuses the per-user cache, links
models/current, waits for a training already running. Rasa itself is replaced by a recorder here
(the real training is exercised by the server fixture); everything else is the real script."""
from __future__ import annotations

import os
import shutil
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.rasa
ROOT = Path(__file__).resolve().parent.parent

FAKE_RASA = textwrap.dedent("""\
    #!/usr/bin/env bash
    # Records its arguments and writes a model named as asked, like `rasa train`.
    echo "$@" >> "$(dirname "$0")/../calls.log"
    out=""; name=""
    while [ $# -gt 0 ]; do
      case "$1" in --out) out=$2; shift;; --fixed-model-name) name=$2; shift;; esac; shift
    done
    echo model > "$out/$name.tar.gz"
    """)
FAKE_PYTHON = "#!/usr/bin/env bash\necho 3.6.21\n"


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy2(ROOT / "scripts" / "train-model.sh", repo / "scripts")
    shutil.copy2(ROOT / "config.yml", repo)
    shutil.copytree(ROOT / "bot", repo / "bot")
    (repo / "data" / "nlu").mkdir(parents=True)
    shutil.copy2(ROOT / "data" / "nlu" / "en.yml", repo / "data" / "nlu")
    for name in ("rules.yml", "stories.yml"):
        shutil.copy2(ROOT / "data" / name, repo / "data")
    (repo / "data" / "triage").mkdir()
    (repo / "data" / "triage" / "rows.yml").write_text("not: rasa\n")
    venv = tmp_path / "venv" / "bin"
    venv.mkdir(parents=True)
    (venv / "rasa").write_text(FAKE_RASA)
    (venv / "python").write_text(FAKE_PYTHON)
    for exe in (venv / "rasa", venv / "python"):
        exe.chmod(0o755)
    return repo


def run(repo: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, RASA_VENV=str(tmp_path / "venv"), XDG_CACHE_HOME=str(tmp_path / "cache"))
    return subprocess.run(["bash", str(repo / "scripts" / "train-model.sh"), *args], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=60, check=True)


def calls(tmp_path: Path) -> list[str]:
    log = tmp_path / "venv" / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


def test_trains_once_then_reuses_and_retrains_on_change(checkout: Path, tmp_path: Path) -> None:
    first = run(checkout, tmp_path, "--print-path").stdout.strip()
    assert len(calls(tmp_path)) == 1
    call = calls(tmp_path)[0]
    assert "--data data/nlu data/rules.yml data/stories.yml" in call
    assert "--domain bot/domain.yml" in call and "data/triage" not in call
    current = checkout / "models" / "current"
    assert current.resolve() == Path(first) and Path(first).is_file()

    run(checkout, tmp_path)  # unchanged: no training
    assert len(calls(tmp_path)) == 1

    (checkout / "data" / "triage" / "rows.yml").write_text("changed: but not a rasa input\n")
    run(checkout, tmp_path)
    assert len(calls(tmp_path)) == 1

    with (checkout / "data" / "nlu" / "en.yml").open("a") as fh:
        fh.write("\n- intent: greet\n  examples: |\n    - howdy\n")
    second = run(checkout, tmp_path, "--print-path").stdout.strip()
    assert len(calls(tmp_path)) == 2 and second != first
    assert current.resolve() == Path(second)


def test_a_fresh_clone_reuses_the_user_cache(checkout: Path, tmp_path: Path) -> None:
    path = Path(run(checkout, tmp_path, "--print-path").stdout.strip())
    shutil.rmtree(checkout / "models")
    result = run(checkout, tmp_path, "--print-path")
    assert "reusing cached model" in result.stderr
    assert len(calls(tmp_path)) == 1
    assert Path(result.stdout.strip()) == path and path.is_file()


def test_force_trains_again(checkout: Path, tmp_path: Path) -> None:
    run(checkout, tmp_path)
    run(checkout, tmp_path, "--force")
    assert len(calls(tmp_path)) == 2


def test_waits_for_a_training_already_running(checkout: Path, tmp_path: Path) -> None:
    (checkout / "models").mkdir()
    holder = subprocess.Popen(["flock", str(checkout / "models" / ".train.lock"), "sleep", "2"])
    try:
        time.sleep(0.3)
        started = time.monotonic()
        result = run(checkout, tmp_path)
        assert "waiting for it" in result.stderr
        assert time.monotonic() - started >= 1.0
    finally:
        holder.wait(timeout=10)
