"""Checking, installing and removing .argosmodel files, without importing argostranslate.

``argostranslate.package.install_from_path`` unzips whatever it is given into the packages
folder. A hotline operator copies model files from another machine, so this module checks them
first and refuses anything that is not a well-formed package (STACK-NOTES: the zip must hold
exactly one top-level folder; anchors-notes §7.1 for the layout):

- a zip archive, readable, CRCs intact, not encrypted, no links, no absolute or ``..`` paths;
- exactly one top-level folder and nothing beside it; bounded unpacked size;
- ``<folder>/metadata.json`` with ``from_code`` and ``to_code`` (2-3 letter codes), type translate;
- a CTranslate2 model (``model/model.bin``) and a tokenizer (``sentencepiece.model`` or
  ``bpe.model``), which are loaded once as a last check before the package is put in place.

Installation is atomic: the package is unpacked in ``<store>/.staging`` (outside the folder
argostranslate scans, on the same file system), checked, then renamed into place; a model for
the same pair is moved out first and deleted.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from hotline.translation.catalog import CODE_RE, Catalog, InstalledModel, package_sbd_file
from hotline.translation.layout import ArgosLayout

MAX_UNPACKED_BYTES = 3 * 1024**3  # real models are a few hundred MB; refuse zip bombs


class InvalidPackage(Exception):
    """The file is not an installable translation package; the message says why, for operators."""


@dataclass(frozen=True)
class PackageInfo:
    top: str
    from_code: str
    to_code: str
    version: str
    metadata: dict


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def inspect(path: Path) -> PackageInfo:
    """Check the archive's structure and metadata; raise InvalidPackage with a clear reason."""
    if not path.is_file():
        raise InvalidPackage(f"{path}: no such file")
    if not zipfile.is_zipfile(path):
        raise InvalidPackage(f"{path.name}: not a zip archive (an .argosmodel file is a zip)")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if not infos:
                raise InvalidPackage(f"{path.name}: the archive is empty")
            tops: set[str] = set()
            total = 0
            names: set[str] = set()
            for info in infos:
                name = info.filename
                parts = PurePosixPath(name).parts
                if info.flag_bits & 0x1:
                    raise InvalidPackage(f"{path.name}: encrypted entries are not accepted ({name})")
                if name.startswith("/") or "\\" in name or ".." in parts or (parts and ":" in parts[0]):
                    raise InvalidPackage(f"{path.name}: unsafe path inside the archive: {name!r}")
                if stat.S_ISLNK(info.external_attr >> 16):
                    raise InvalidPackage(f"{path.name}: links are not accepted inside a package ({name})")
                if not parts:
                    continue
                if len(parts) == 1 and not info.is_dir():
                    raise InvalidPackage(
                        f"{path.name}: file {name!r} lies at the top level; a package must hold "
                        "exactly one top-level folder containing everything"
                    )
                tops.add(parts[0])
                names.add("/".join(parts))
                total += info.file_size
            if len(tops) != 1:
                listed = ", ".join(sorted(tops)) or "none"
                raise InvalidPackage(
                    f"{path.name}: a package must hold exactly one top-level folder, found {len(tops)} ({listed})"
                )
            if total > MAX_UNPACKED_BYTES:
                raise InvalidPackage(f"{path.name}: unpacks to {total} bytes, more than the {MAX_UNPACKED_BYTES} allowed")
            top = tops.pop()
            if top.startswith("."):
                raise InvalidPackage(f"{path.name}: the top-level folder may not be hidden ({top!r})")
            if f"{top}/metadata.json" not in names:
                raise InvalidPackage(f"{path.name}: {top}/metadata.json is missing")
            try:
                metadata = json.loads(archive.read(f"{top}/metadata.json").decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                raise InvalidPackage(f"{path.name}: metadata.json is not valid JSON ({exc})") from None
            bad = archive.testzip()
            if bad is not None:
                raise InvalidPackage(f"{path.name}: the archive is damaged (bad checksum in {bad})")
    except zipfile.BadZipFile as exc:
        raise InvalidPackage(f"{path.name}: damaged zip archive ({exc})") from None

    if not isinstance(metadata, dict):
        raise InvalidPackage(f"{path.name}: metadata.json must be a JSON object")
    kind = metadata.get("type", "translate")
    if kind != "translate":
        raise InvalidPackage(f"{path.name}: package type {kind!r} is not a translation model")
    codes = {}
    for field in ("from_code", "to_code"):
        value = metadata.get(field)
        if not isinstance(value, str) or not CODE_RE.match(value):
            raise InvalidPackage(f"{path.name}: metadata.json needs {field} as a 2-3 letter language code, got {value!r}")
        codes[field] = value
    if codes["from_code"] == codes["to_code"]:
        raise InvalidPackage(f"{path.name}: from_code and to_code are the same ({codes['from_code']})")
    if f"{top}/model/model.bin" not in names:
        raise InvalidPackage(f"{path.name}: {top}/model/model.bin (the CTranslate2 model) is missing")
    if f"{top}/sentencepiece.model" not in names and f"{top}/bpe.model" not in names:
        raise InvalidPackage(f"{path.name}: no tokenizer ({top}/sentencepiece.model or {top}/bpe.model)")
    return PackageInfo(top=top, from_code=codes["from_code"], to_code=codes["to_code"],
                       version=str(metadata.get("package_version", "")), metadata=metadata)


def _load_check(package_dir: Path) -> None:
    """Load the model and tokenizer once, so a corrupt file is refused before it is installed."""
    import ctranslate2  # small next to argostranslate; only the installer pays for it

    try:
        ctranslate2.Translator(str(package_dir / "model"), device="cpu", intra_threads=1)
    except Exception as exc:  # noqa: BLE001 - any failure means "cannot be used"
        raise InvalidPackage(f"the CTranslate2 model does not load: {exc}") from None
    spm_path = package_dir / "sentencepiece.model"
    if spm_path.exists():
        import sentencepiece

        try:
            sentencepiece.SentencePieceProcessor(model_file=str(spm_path))
        except Exception as exc:  # noqa: BLE001
            raise InvalidPackage(f"the SentencePiece model does not load: {exc}") from None


@dataclass(frozen=True)
class InstallResult:
    model: InstalledModel
    replaced: list[InstalledModel]
    sha256: str


def install(path: Path, layout: ArgosLayout, expected_sha256: str | None = None) -> InstallResult:
    """Check and install one .argosmodel file into the layout's packages folder."""
    digest = sha256_of(path) if path.is_file() else ""
    if expected_sha256 is not None and digest != expected_sha256.strip().lower():
        raise InvalidPackage(f"{path.name}: SHA-256 is {digest}, not the expected {expected_sha256}")
    info = inspect(path)
    layout.ensure()
    catalog = Catalog(layout.packages, layout.minisbd)
    staging = Path(tempfile.mkdtemp(prefix="incoming-", dir=layout.staging))
    try:
        with zipfile.ZipFile(path) as archive:
            archive.extractall(staging)
        unpacked = staging / info.top
        _load_check(unpacked)
        record = {
            "sha256": digest, "file": path.name,
            "installed_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        }
        (unpacked / ".hotline-install.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
        replaced = [m for m in catalog.models() if (m.from_code, m.to_code) == (info.from_code, info.to_code)]
        final = layout.packages / f"{info.from_code}_{info.to_code}"
        trash: list[Path] = []
        for number, old in enumerate(replaced):
            moved = staging / f"old-{number}"
            old.path.rename(moved)
            trash.append(moved)
        if final.exists():  # a folder of that name that is not a valid package
            moved = staging / "old-unreadable"
            final.rename(moved)
            trash.append(moved)
        unpacked.rename(final)
        for folder in trash:
            shutil.rmtree(folder, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    installed = next(m for m in catalog.models() if m.path == final)
    return InstallResult(model=installed, replaced=replaced, sha256=digest)


def remove(from_code: str, to_code: str, layout: ArgosLayout) -> list[InstalledModel]:
    """Remove every installed package for the pair; returns what was removed."""
    catalog = Catalog(layout.packages, layout.minisbd)
    removed = [m for m in catalog.models() if (m.from_code, m.to_code) == (from_code, to_code)]
    if removed:
        layout.ensure()
        trash = Path(tempfile.mkdtemp(prefix="removing-", dir=layout.staging))
        try:
            for number, model in enumerate(removed):
                # Move out first so a running service never sees a half-deleted folder.
                model.path.rename(trash / str(number))
        finally:
            shutil.rmtree(trash, ignore_errors=True)
    return removed


def describe_sbd(model: InstalledModel) -> str:
    if package_sbd_file(model.path) is not None:
        return "MiniSBD model shipped in the package"
    return model.sentence_splitter


def install_sentence_model(lang: str, path: Path, layout: ArgosLayout) -> Path:
    """Check a MiniSBD ``.onnx`` file (it must load and split a sample) and place it as
    ``<store>/minisbd/<lang>.onnx``, atomically."""
    layout.ensure()
    staging = Path(tempfile.mkdtemp(prefix="sentences-", dir=layout.staging))
    try:
        candidate = staging / f"{lang}.onnx"
        shutil.copyfile(path, candidate)
        try:
            from minisbd import SBDetect

            pieces = SBDetect(str(candidate), use_gpu=False, max_threads=1).sentences("One. Two")
        except Exception as exc:  # noqa: BLE001 - any failure means "cannot be used"
            raise InvalidPackage(f"{path.name}: not a usable MiniSBD sentence model ({type(exc).__name__}: {exc})") from None
        if not pieces:
            raise InvalidPackage(f"{path.name}: the sentence model returned nothing for a sample")
        final = layout.minisbd / f"{lang}.onnx"
        candidate.replace(final)
        return final
    finally:
        shutil.rmtree(staging, ignore_errors=True)
