"""`hotline models`: install, list, remove and try offline translation models.

The operator obtains .argosmodel files on another machine (docs/OPERATOR-TRANSLATION.md) and
installs them here; nothing in this command uses the network. ``install``, ``list`` and
``remove`` never import argostranslate, so they run in well under a second.
"""
from __future__ import annotations

import time
from pathlib import Path

import click

from hotline.translation.archive import InvalidPackage, describe_sbd, install, install_sentence_model, remove
from hotline.translation.catalog import HOTLINE_LANGUAGES, PIVOT, Catalog, normalise_code
from hotline.translation.layout import ENV_DIR, ArgosLayout


def _layout(ctx: click.Context) -> ArgosLayout:
    return ArgosLayout.from_env(ctx.obj.get("dir") if ctx.obj else None)


def _code(value: str) -> str:
    code = normalise_code(value)
    if code is None:
        raise click.BadParameter(f"{value!r} is not a language code (use ISO 639-1, e.g. ro, en)")
    return code


@click.group("models")
@click.option("--dir", "argos_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help=f"Model store (default: ${ENV_DIR}, else $HOTLINE_VAR_DIR/argos, else <repo>/var/argos).")
@click.pass_context
def models_group(ctx: click.Context, argos_dir: Path | None) -> None:
    """Offline machine-translation models (argostranslate .argosmodel files)."""
    ctx.ensure_object(dict)
    ctx.obj["dir"] = str(argos_dir) if argos_dir else None


def read_checksums(path: Path) -> dict[str, str]:
    """A ``sha256sum`` listing ("<64 hex>  <file name>" per line) as {file name: digest}."""
    sums: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        digest, _, name = line.partition(" ")
        name = name.strip().lstrip("*")
        if len(digest) != 64 or not all(c in "0123456789abcdefABCDEF" for c in digest) or not name:
            raise click.ClickException(f"{path.name} line {number}: expected '<sha256>  <file name>'")
        sums[Path(name).name] = digest.lower()
    return sums


@models_group.command("install")
@click.argument("files", metavar="FILE...", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--sha256", "expected", default=None,
              help="Refuse the file unless its SHA-256 equals this (one FILE only).")
@click.option("--checksums", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A sha256sum listing; every FILE must be listed in it with a matching SHA-256.")
@click.pass_context
def install_command(ctx: click.Context, files: tuple[Path, ...], expected: str | None,
                    checksums: Path | None) -> None:
    """Check each FILE (.argosmodel) and install it; a model for the same pair is replaced.

    Every file is checked on its own; a refused file does not stop the others, and the command
    exits with status 1 if any file was refused.
    """
    if expected is not None and len(files) != 1:
        raise click.UsageError("--sha256 takes one FILE; use --checksums for several")
    sums = read_checksums(checksums) if checksums is not None else None
    layout = _layout(ctx)
    refused = 0
    for file in files:
        want = expected
        if sums is not None:
            want = sums.get(file.name)
            if want is None:
                click.echo(f"refused: {file.name}: not listed in {checksums.name}", err=True)
                refused += 1
                continue
        try:
            result = install(file, layout, expected_sha256=want)
        except InvalidPackage as exc:
            click.echo(f"refused: {exc}", err=True)
            refused += 1
            continue
        model = result.model
        click.echo(f"installed {model.from_code} -> {model.to_code} version {model.version or '?'} "
                   f"into {model.path}")
        click.echo(f"sha256 {result.sha256}")
        for old in result.replaced:
            click.echo(f"replaced the earlier {old.from_code} -> {old.to_code} version {old.version or '?'}")
        click.echo(f"sentence splitting: {describe_sbd(model)}")
    if refused:
        raise click.ClickException(f"{refused} of {len(files)} file(s) refused; nothing else changed for them")
    click.echo("a running service picks new models up on its next message; no restart needed")


@models_group.command("install-sentences")
@click.argument("lang", metavar="LANG")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def install_sentences_command(ctx: click.Context, lang: str, file: Path) -> None:
    """Install a MiniSBD sentence model (LANG.onnx) used by every model translating from LANG
    that does not ship its own. The file is loaded and tried before it is put in place."""
    code = _code(lang)
    layout = _layout(ctx)
    try:
        install_sentence_model(code, file, layout)
    except InvalidPackage as exc:
        raise click.ClickException(f"refused: {exc}") from None
    click.echo(f"installed the {code} sentence model into {layout.minisbd / (code + '.onnx')}")


@models_group.command("list")
@click.pass_context
def list_command(ctx: click.Context) -> None:
    """List installed pairs with versions, and the hotline's pairs that are still missing."""
    layout = _layout(ctx)
    catalog = Catalog(layout.packages, layout.minisbd)
    models = catalog.models()
    if not models:
        click.echo(f"no translation models installed in {layout.packages}")
    else:
        click.echo(f"{'from':<5} {'to':<5} {'version':<9} {'sha256':<13} sentence splitting")
        for m in models:
            digest = (m.sha256 or "-")[:12]
            click.echo(f"{m.from_code:<5} {m.to_code:<5} {m.version or '?':<9} {digest:<13} {m.sentence_splitter}")
    pairs = {(m.from_code, m.to_code) for m in models}
    missing = [f"{a}->{b}" for lang in HOTLINE_LANGUAGES for a, b in ((lang, PIVOT), (PIVOT, lang))
               if (a, b) not in pairs]
    if missing:
        click.echo(f"missing for this hotline ({len(missing)}): {' '.join(missing)}")
    else:
        click.echo("every pair this hotline needs is installed")


@models_group.command("remove")
@click.argument("from_code", metavar="FROM")
@click.argument("to_code", metavar="TO")
@click.pass_context
def remove_command(ctx: click.Context, from_code: str, to_code: str) -> None:
    """Remove the installed model translating FROM -> TO."""
    src, dst = _code(from_code), _code(to_code)
    removed = remove(src, dst, _layout(ctx))
    if not removed:
        raise click.ClickException(f"no model installed for {src} -> {dst}")
    for m in removed:
        click.echo(f"removed {m.from_code} -> {m.to_code} version {m.version or '?'}")


@models_group.command("check")
@click.argument("from_code", metavar="FROM")
@click.argument("to_code", metavar="TO")
@click.argument("text")
@click.option("--repeat", default=20, show_default=True, type=click.IntRange(1, 10000),
              help="Warm translations to time after the first (cache bypassed).")
@click.pass_context
def check_command(ctx: click.Context, from_code: str, to_code: str, text: str, repeat: int) -> None:
    """Translate TEXT offline to check an installed model; prints the result and timings.

    Timings: the one-off argostranslate import, the first translation (loads the model) and
    the median and 95th percentile of REPEAT warm translations of TEXT with a number appended.
    """
    from hotline.translation.service import Translator

    src, dst = _code(from_code), _code(to_code)
    translator = Translator(argos_dir=str(_layout(ctx).root))
    started = time.perf_counter()
    first = translator.translate(text, src, dst)
    cold = time.perf_counter() - started
    warm: list[float] = []
    for i in range(repeat if first.machine else 0):
        # A different text each time: argos keeps the last paragraphs it translated, and the
        # service caches results; both would otherwise hide the model's cost.
        variant = f"{text} {i}"
        started = time.perf_counter()
        translator.translate(variant, src, dst)
        warm.append(time.perf_counter() - started)
    click.echo(f"text: {first.text}")
    click.echo(f"machine: {first.machine} available: {first.available} path: {'->'.join(first.path) or '-'}")
    if first.notice:
        click.echo(f"notice: {first.notice}")
    import_s = translator.engine.import_seconds or 0.0
    line = f"timing: argos import {import_s:.3f} s, first {(cold - import_s) * 1000:.1f} ms after import"
    if warm:
        warm.sort()
        p50 = warm[len(warm) // 2] * 1000
        p95 = warm[min(len(warm) - 1, int(len(warm) * 0.95))] * 1000
        line += f", warm p50 {p50:.2f} ms p95 {p95:.2f} ms (n={len(warm)})"
    click.echo(line)
    translator.close()
    if not first.available:
        raise SystemExit(2)
