"""``hotline langid-eval``: measure the detectors on the labelled set, fail if a target is missed."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from hotline.language.evaluation import (
    ABLATIONS,
    LABELLED_PATH,
    evaluate,
    format_report,
    load_rows,
    switch_stats,
)
from hotline.language.languages import supported_languages


@click.command("langid-eval")
@click.option("--data", "data_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=LABELLED_PATH, show_default=True, help="Labelled JSONL (text, lang, words).")
@click.option("--misses", "show_misses", is_flag=True, help="Also list the project detector's misses.")
@click.option("--ablation", is_flag=True, help="Also run the project detector with each signal switched off.")
def eval_command(data_path: Path, show_misses: bool, ablation: bool) -> None:
    """Accuracy per language and length for langdetect, lingua and the project detector.

    Exits 1 if the project detector misses a target (>= 97% on 3+ words, >= 90% on 1-2 words).
    """
    order = list(supported_languages())
    rows = load_rows(data_path, languages=order)
    if not rows:
        raise click.ClickException(f"no labelled rows for the supported languages in {data_path}")
    report = evaluate(rows)
    click.echo(f"{len(rows)} labelled messages, {len(report.languages)} languages, file {data_path}")
    click.echo(format_report(report, order))
    if ablation:
        ablated = evaluate(rows, systems=["project", *ABLATIONS])
        click.echo("\nablation (accuracy of the project detector without one signal):")
        for name in ablated.systems:
            click.echo(f"  {name:<24} 1-2 words {ablated.accuracy(name, bucket='1-2'):6.1%}   "
                       f"3+ words {ablated.accuracy(name, bucket='3+'):6.1%}")
    stats = switch_stats(rows, order)
    recall, wrong, short = stats.recall, stats.wrong, stats.false_short
    click.echo(
        "sticky language (previous = another language of the same script): 3+ words switch to "
        f"their language {recall.accuracy:.1%} ({recall.correct}/{recall.total}), "
        f"to a wrong one {wrong.accuracy:.1%} ({wrong.correct}/{wrong.total}); "
        f"1-2 words switch {short.accuracy:.1%} ({short.correct}/{short.total})"
    )
    if show_misses:
        click.echo("\nproject detector misses (expected -> got):")
        for row, got in report.misses["project"]:
            click.echo(f"  {row.lang} -> {got}: {row.text}")
    failures = report.target_failures("project")
    if failures:
        click.echo("TARGET MISSED: " + "; ".join(failures), err=True)
        sys.exit(1)
    click.echo("targets met")
