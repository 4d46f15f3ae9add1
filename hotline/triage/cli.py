"""`hotline triage` (JSON Lines in, JSON Lines out) and `hotline triage-eval`.

Both run offline with no server: triage needs only the pattern files and the labelled data.
Output never echoes message text (ids, tiers, indicator names and pattern-level reasons only).
"""
from __future__ import annotations

import json
import sys

import click

from hotline.triage.catalogue import TIERS


def _fmt(x: float | None) -> str:
    return "  n/a" if x is None else f"{x:5.3f}"


@click.command("triage")
def triage_command() -> None:
    """Read {"id","text"[,"lang"]} objects, one per line on stdin; write one result per line."""
    from hotline.triage.engine import triage

    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue  # blank lines carry no message; nothing to answer
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError("line is not a JSON object")
            text = obj.get("text")
            if not isinstance(text, str):
                raise ValueError('"text" must be a string')
            lang = obj.get("lang")
            if lang is not None and not isinstance(lang, str):
                raise ValueError('"lang" must be a string')
            result = triage(text, lang=lang).to_dict()
            msg_id = obj.get("id")
            record = {"id": msg_id if msg_id is None or isinstance(msg_id, str) else str(msg_id), **result}
        except (ValueError, TypeError) as exc:  # json.JSONDecodeError is a ValueError
            record = {"id": None, "error": f"malformed input line: {type(exc).__name__}: {str(exc)[:120]}"}
        except Exception as exc:  # noqa: BLE001 - one bad line must never stop the batch
            record = {"id": None, "error": f"triage failed: {type(exc).__name__}"}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()


@click.command("triage-eval")
@click.option("--split", type=click.Choice(["test", "train"]), default="test", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@click.option("--show-misses", is_flag=True, help="list ids of under-triaged rows (no text)")
def eval_command(split: str, as_json: bool, show_misses: bool) -> None:
    """Recall/precision per tier and language, confusion matrix, and the four targets."""
    from hotline.triage.evaluate import evaluate

    rep = evaluate(split)
    if as_json:
        click.echo(json.dumps(rep.to_dict(), ensure_ascii=False, indent=2))
        sys.exit(0 if rep.passed else 1)
    click.echo(f"triage evaluation on split={split}  n={rep.n}  (classifier trained on train.jsonl)")
    click.echo("\nper tier        n   recall  precision")
    for t in TIERS:
        d = rep.per_tier[t]
        click.echo(f"  {t}        {d['n']:4d}   {_fmt(d['recall'])}   {_fmt(d['precision'])}")
    click.echo("\nconfusion (rows = gold, columns = predicted)")
    click.echo("        " + "  ".join(f"{t:>4}" for t in TIERS))
    for g in TIERS:
        click.echo(f"  {g}    " + "  ".join(f"{rep.confusion[g][p]:4d}" for p in TIERS))
    click.echo("\nper language    n  P0rec P0P1rec P3->P0  chRec  chPrec  exact   " + "  ".join(f"{t}rec {t}prec" for t in TIERS))
    for lang, d in rep.per_language.items():
        tiers = "  ".join(f"{_fmt(d['per_tier'][t]['recall'])} {_fmt(d['per_tier'][t]['precision'])}" for t in TIERS)
        click.echo(f"  {lang}         {d['n']:3d}  {_fmt(d['p0_recall'])} {_fmt(d['p0p1_recall'])}  "
                   f"{_fmt(d['p3_to_p0_rate'])}  {_fmt(d['child_recall'])} {_fmt(d['child_precision'])} "
                   f"{_fmt(d['exact_accuracy'])}   {tiers}")
        conf = d["confusion"]
        click.echo("             confusion " + " | ".join(
            f"{g}:" + ",".join(str(conf[g][p]) for p in TIERS) for g in TIERS))
    m = rep.metrics
    click.echo(f"\nexact tier accuracy {_fmt(m['exact_accuracy'])}   under-triage rate {_fmt(m['under_triage_rate'])}"
               f"   child precision {_fmt(m['child_precision'])}")
    click.echo(f"latency per message: p50 {rep.latency_ms['p50']:.1f} ms  p95 {rep.latency_ms['p95']:.1f} ms"
               f"  max {rep.latency_ms['max']:.1f} ms (after one warm-up call)")
    if "language_detection_p50" in rep.latency_ms:
        click.echo(f"  of which hotline.language.detect alone: p50 {rep.latency_ms['language_detection_p50']:.1f} ms"
                   f"  p95 {rep.latency_ms['language_detection_p95']:.1f} ms")
    click.echo("\ntargets")
    for key, t in rep.targets.items():
        click.echo(f"  {'PASS' if t['pass'] else 'FAIL'}  {t['what']:<36} {_fmt(t['value'])}  (target {t['target']})")
    if show_misses:
        click.echo("\nmisses (under-triaged, child missed, or P3 sent to P0)")
        for miss in rep.misses:
            click.echo(f"  {miss['id']}: gold {miss['gold']}{'+child' if miss['gold_child'] else ''} -> "
                       f"{miss['got']}{'+child' if miss['got_child'] else ''} {miss['indicators']}")
    sys.exit(0 if rep.passed else 1)
