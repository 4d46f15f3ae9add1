"""`hotline models` in real subprocesses with the network unreachable: install, list, remove,
refusals of bad files, and one offline translation through the `check` command."""
from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest

from argos_fixture import UNSHARE, ArgosPackages, GuardedRunner, Variant, argos_packages  # noqa: F401


@pytest.fixture
def runner(tmp_path: Path) -> GuardedRunner:
    return GuardedRunner(tmp_path / "guard")


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "argos"


def installed_dirs(store: Path) -> list[str]:
    packages = store / "packages"
    return sorted(p.name for p in packages.iterdir()) if packages.exists() else []


def test_guard_blocks_and_records_network_in_subprocess(runner: GuardedRunner) -> None:
    """The guard used below bites: a plain download attempt fails and is recorded."""
    code = "import urllib.request; urllib.request.urlopen('http://example.org/', timeout=5)"
    result = runner.run([sys.executable, "-c", code], timeout=30)
    assert result.returncode != 0
    assert runner.attempts(), "the sitecustomize guard did not record the attempt"


def test_install_list_replace_remove(runner: GuardedRunner, store: Path, argos_packages: ArgosPackages) -> None:
    result = runner.hotline("models", "--dir", str(store), "install", str(argos_packages.ro_en))
    assert result.returncode == 0, result.stderr
    assert "installed ro -> en version 1.0" in result.stdout
    assert "MiniSBD model shipped in the package" in result.stdout
    assert installed_dirs(store) == ["ro_en"]  # no staging folder left behind

    listing = runner.hotline("models", "list", HOTLINE_ARGOS_DIR=str(store))  # env var works too
    assert listing.returncode == 0, listing.stderr
    rows = [line.split() for line in listing.stdout.splitlines()]
    assert ["ro", "en", "1.0"] == rows[1][:3]
    assert "missing for this hotline (21)" in listing.stdout and "en->ro" in listing.stdout

    newer = argos_packages.build("ro", "en", Variant(version="1.1"))
    result = runner.hotline("models", "--dir", str(store), "install", str(newer))
    assert result.returncode == 0, result.stderr
    assert "replaced the earlier ro -> en version 1.0" in result.stdout
    listing = runner.hotline("models", "--dir", str(store), "list")
    assert [line.split()[:3] for line in listing.stdout.splitlines()[1:2]] == [["ro", "en", "1.1"]]
    assert installed_dirs(store) == ["ro_en"]

    removed = runner.hotline("models", "--dir", str(store), "remove", "ro", "en")
    assert removed.returncode == 0, removed.stderr
    assert "removed ro -> en version 1.1" in removed.stdout
    assert installed_dirs(store) == []
    again = runner.hotline("models", "--dir", str(store), "remove", "ro", "en")
    assert again.returncode != 0 and "no model installed for ro -> en" in again.stderr
    assert runner.attempts() == []


def test_sha256_option_checks_the_file(runner: GuardedRunner, store: Path, argos_packages: ArgosPackages) -> None:
    wrong = runner.hotline("models", "--dir", str(store), "install", str(argos_packages.en_ro),
                           "--sha256", "0" * 64)
    assert wrong.returncode != 0 and "SHA-256 is" in wrong.stderr
    assert installed_dirs(store) == []
    import hashlib

    digest = hashlib.sha256(argos_packages.en_ro.read_bytes()).hexdigest()
    right = runner.hotline("models", "--dir", str(store), "install", str(argos_packages.en_ro), "--sha256", digest)
    assert right.returncode == 0, right.stderr
    assert f"sha256 {digest}" in right.stdout
    assert installed_dirs(store) == ["en_ro"]


def _not_a_zip(folder: Path) -> Path:
    path = folder / "fake.argosmodel"
    path.write_bytes(b"this is not a zip file at all")
    return path


def _two_folders(folder: Path) -> Path:
    path = folder / "two.argosmodel"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a/metadata.json", '{"from_code": "ro", "to_code": "en"}')
        archive.writestr("b/model/model.bin", "x")
    return path


@pytest.mark.parametrize("make, reason", [
    (lambda p, f: _not_a_zip(f), "not a zip archive"),
    (lambda p, f: _two_folders(f), "exactly one top-level folder, found 2"),
    (lambda p, f: p.build("ro", "en", Variant(extra_top_level=True)), "lies at the top level"),
    (lambda p, f: p.build("ro", "en", Variant(drop_metadata=True)), "metadata.json is missing"),
    (lambda p, f: p.build("ro", "en", Variant(metadata_override={"to_code": None})), "needs to_code"),
    (lambda p, f: p.build("ro", "en", Variant(metadata_override={"from_code": "../x"})), "needs from_code"),
    (lambda p, f: p.build("ro", "en", Variant(metadata_override={"type": "sbd"})), "not a translation model"),
    (lambda p, f: p.build("ro", "en", Variant(traversal=True)), "unsafe path"),
    (lambda p, f: p.build("ro", "en", Variant(corrupt_model=True)), "CTranslate2 model does not load"),
], ids=["not-zip", "two-folders", "top-level-file", "no-metadata", "no-to-code", "bad-code",
        "sbd-type", "path-traversal", "corrupt-model"])
def test_install_refuses_bad_files(runner: GuardedRunner, store: Path, argos_packages: ArgosPackages,
                                   tmp_path: Path, make, reason: str) -> None:
    bad = make(argos_packages, tmp_path)
    result = runner.hotline("models", "--dir", str(store), "install", str(bad))
    assert result.returncode != 0
    assert "refused:" in result.stderr and reason in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert installed_dirs(store) == []  # nothing installed, no staging left
    assert not (tmp_path.parent / "escaped.txt").exists()


def test_check_translates_offline_in_a_fresh_process(runner: GuardedRunner, store: Path,
                                                      argos_packages: ArgosPackages) -> None:
    """A whole argostranslate start-up and translation with no network at all."""
    for package in (argos_packages.ro_en, argos_packages.en_uk):
        assert runner.hotline("models", "--dir", str(store), "install", str(package)).returncode == 0
    result = runner.hotline("models", "--dir", str(store), "check", "ro", "uk", "unde e ajutor? am nevoie de bani.")
    assert result.returncode == 0, result.stderr
    assert "text: де e допомога? am nevoie de гроші." in result.stdout
    assert "path: ro->en->uk" in result.stdout
    assert "timing: argos import" in result.stdout
    assert runner.attempts() == [], runner.attempts()
    missing = runner.hotline("models", "--dir", str(store), "check", "ro", "de", "ajutor")
    assert missing.returncode == 2 and "No machine translation model is installed" in missing.stdout
    print("network namespace isolated:", UNSHARE)


def test_install_several_files_against_a_checksum_list(runner: GuardedRunner, store: Path,
                                                       argos_packages: ArgosPackages, tmp_path: Path) -> None:
    import hashlib

    good, unlisted = argos_packages.ro_en, argos_packages.en_ro
    tampered = argos_packages.build("en", "uk", Variant(version="9.9"))
    sums = tmp_path / "SHA256SUMS"
    sums.write_text(
        f"{hashlib.sha256(good.read_bytes()).hexdigest()}  {good.name}\n"
        f"{'1' * 64}  {tampered.name}\n", encoding="utf-8")
    result = runner.hotline("models", "--dir", str(store), "install", "--checksums", str(sums),
                            str(good), str(unlisted), str(tampered))
    assert result.returncode == 1
    assert "installed ro -> en" in result.stdout
    assert f"{unlisted.name}: not listed in SHA256SUMS" in result.stderr
    assert "SHA-256 is" in result.stderr and "2 of 3 file(s) refused" in result.stderr
    assert installed_dirs(store) == ["ro_en"]
    assert runner.attempts() == []


def test_install_shared_sentence_model(runner: GuardedRunner, store: Path, argos_packages: ArgosPackages,
                                       tmp_path: Path) -> None:
    from argos_fixture import build_minisbd_onnx

    onnx = tmp_path / "ro.onnx"
    onnx.write_bytes(build_minisbd_onnx("ro"))
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not an onnx model")
    refused = runner.hotline("models", "--dir", str(store), "install-sentences", "ro", str(junk))
    assert refused.returncode != 0 and "not a usable MiniSBD sentence model" in refused.stderr
    assert not (store / "minisbd" / "ro.onnx").exists()

    assert runner.hotline("models", "--dir", str(store), "install", str(
        argos_packages.build("ro", "en", Variant(sbd="none", version="1.2")))).returncode == 0
    before = runner.hotline("models", "--dir", str(store), "list")
    assert "punctuation (built-in)" in before.stdout
    done = runner.hotline("models", "--dir", str(store), "install-sentences", "ro", str(onnx))
    assert done.returncode == 0, done.stderr
    assert (store / "minisbd" / "ro.onnx").read_bytes() == onnx.read_bytes()
    after = runner.hotline("models", "--dir", str(store), "list")
    assert "shared minisbd" in after.stdout
    assert runner.attempts() == []
