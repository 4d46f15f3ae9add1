#!/usr/bin/env python
"""Held-out NLU evaluation of the hotline assistant, overall and per language.

Run with Rasa's interpreter from the repository root:

    .venv-rasa/bin/python scripts/nlu_eval.py [--every 5] [--min-overall 0.90] [--min-language 0.85]

Why held-out and deterministic: training accuracy says nothing about messages the model has not
seen, and a random split would make the figure move between runs. Every `--every`-th example of
each intent in each language (data/nlu/<lang>.yml, the language is the file name) is held out; the
model is trained on the rest with config.yml (cached by content hash like scripts/train-model.sh),
`rasa test nlu` runs on the held-out part, and the intent macro-F1 is computed overall and per
language from Rasa's own predictions. Writes reports/nlu/ (Rasa's report in reports/nlu/rasa/ and
summary.json) and exits 1 if the overall or any language's macro-F1 is below its threshold.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import yaml

ROOT = Path(__file__).resolve().parent.parent
RASA_BIN = Path(sys.executable).parent / "rasa"

Example = Tuple[str, str]  # (text, intent)


def read_nlu_file(path: Path) -> Dict[str, List[str]]:
    """Intent -> examples of one Rasa YAML NLU file, in file order (other blocks are ignored)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: Dict[str, List[str]] = defaultdict(list)
    for block in data.get("nlu") or []:
        if not isinstance(block, dict) or "intent" not in block:
            continue
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                text = line[2:].strip()
                if text:
                    out[block["intent"]].append(text)
    return dict(out)


def split(examples: Dict[str, List[str]], every: int) -> Tuple[Dict[str, List[str]], List[Example]]:
    """Every `every`-th example of each intent (positions every-1, 2*every-1, ...) is held out."""
    train: Dict[str, List[str]] = {}
    test: List[Example] = []
    for intent, texts in examples.items():
        train[intent] = [t for i, t in enumerate(texts) if i % every != every - 1]
        test.extend((t, intent) for i, t in enumerate(texts) if i % every == every - 1)
    return train, test



def write_nlu(path: Path, by_intent: Dict[str, List[str]]) -> None:
    """Write Rasa YAML NLU data; examples are emitted as quoted scalars inside a block list."""
    lines = ['version: "3.1"', "nlu:"]
    for intent in sorted(by_intent):
        if not by_intent[intent]:
            continue
        lines.append(f"- intent: {intent}")
        lines.append("  examples: |")
        lines.extend(f"    - {text}" for text in by_intent[intent])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def content_hash(config: Path, files: Sequence[Path]) -> str:
    digest = hashlib.sha256()
    import rasa  # noqa: PLC0415 - only the Rasa environment has it

    digest.update(f"rasa={rasa.__version__}\n".encode())
    for path in [config, *sorted(files)]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def run(cmd: List[str]) -> None:
    print("[nlu-eval] $ " + " ".join(cmd), file=sys.stderr, flush=True)
    env = dict(os.environ, RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2")
    subprocess.run(cmd, check=True, cwd=ROOT, env=env)


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Intent macro-F1 over the intents present in `gold` (a wrong or fallback guess costs recall
    of the true intent and precision of the guessed one, without adding classes of its own)."""
    labels = sorted(set(gold))
    scores = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def load_predictions(rasa_out: Path) -> Dict[Example, str]:
    """(text, gold intent) -> predicted intent, from Rasa's successes and errors files."""
    predictions: Dict[Example, str] = {}
    for name in ("intent_successes.json", "intent_errors.json"):
        path = rasa_out / name
        if not path.exists():
            continue
        for row in json.loads(path.read_text(encoding="utf-8")):
            predicted = (row.get("intent_prediction") or {}).get("name") or "None"
            predictions[(row["text"], row["intent"])] = predicted
    return predictions


def parse_args(argv: List[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nlu-dir", type=Path, default=ROOT / "data" / "nlu")
    parser.add_argument("--config", type=Path, default=ROOT / "config.yml")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "nlu")
    parser.add_argument("--every", type=int, default=5, help="hold out every N-th example (default 5)")
    parser.add_argument("--languages", nargs="*", help="only these data/nlu/<lang>.yml files")
    parser.add_argument("--min-overall", type=float, default=0.90)
    parser.add_argument("--min-language", type=float, default=0.85)
    parser.add_argument("--force", action="store_true", help="retrain even if a cached model exists")
    args = parser.parse_args(argv)
    if args.every < 2:
        parser.error("--every must be at least 2")
    return args


def main(argv: List[str] | None = None) -> int:
    args = parse_args(argv)
    files = sorted(args.nlu_dir.glob("*.yml"))
    if args.languages:
        files = [f for f in files if f.stem in set(args.languages)]
    if not files:
        print(f"[nlu-eval] no NLU files in {args.nlu_dir}", file=sys.stderr)
        return 2

    args.out.mkdir(parents=True, exist_ok=True)
    split_dir = args.out / "split"
    shutil.rmtree(split_dir, ignore_errors=True)
    (split_dir / "train").mkdir(parents=True)
    (split_dir / "test").mkdir(parents=True)
    tests: Dict[str, List[Example]] = {}
    all_test: Dict[str, List[str]] = defaultdict(list)
    for path in files:
        train, test = split(read_nlu_file(path), args.every)
        write_nlu(split_dir / "train" / f"{path.stem}.yml", train)
        tests[path.stem] = test
        for text, intent in test:
            all_test[intent].append(text)
        print(f"[nlu-eval] {path.stem}: {sum(map(len, train.values()))} train, {len(test)} held out",
              file=sys.stderr)
    test_file = split_dir / "test" / "held_out.yml"
    write_nlu(test_file, all_test)

    model_hash = content_hash(args.config, sorted((split_dir / "train").glob("*.yml")))
    model_name = f"nlu-eval-{model_hash}"
    model = ROOT / "models" / f"{model_name}.tar.gz"
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "hotline" / "models"
    cache.mkdir(parents=True, exist_ok=True)
    model.parent.mkdir(parents=True, exist_ok=True)
    train_seconds = None
    if not args.force and model.exists():
        print(f"[nlu-eval] reusing {model.relative_to(ROOT)}", file=sys.stderr)
    elif not args.force and (cache / model.name).exists():
        print(f"[nlu-eval] reusing cached {cache / model.name}", file=sys.stderr)
        shutil.copy2(cache / model.name, model)
    else:
        started = time.monotonic()
        with tempfile.TemporaryDirectory(dir=model.parent) as tmp:
            run([str(RASA_BIN), "train", "nlu", "--config", str(args.config),
                 "--nlu", str(split_dir / "train"), "--out", tmp, "--fixed-model-name", model_name])
            shutil.move(str(Path(tmp) / model.name), model)
        shutil.copy2(model, cache / model.name)
        train_seconds = round(time.monotonic() - started, 1)

    rasa_out = args.out / "rasa"
    shutil.rmtree(rasa_out, ignore_errors=True)
    run([str(RASA_BIN), "test", "nlu", "--model", str(model), "--nlu", str(test_file),
         "--out", str(rasa_out), "--successes", "--no-plot"])
    predictions = load_predictions(rasa_out)

    per_language = {}
    gold_all: List[str] = []
    pred_all: List[str] = []
    for lang, test in sorted(tests.items()):
        gold = [intent for _, intent in test]
        pred = [predictions.get(example, "None") for example in test]
        gold_all += gold
        pred_all += pred
        per_language[lang] = {
            "macro_f1": round(macro_f1(gold, pred), 4),
            "accuracy": round(sum(g == p for g, p in zip(gold, pred)) / len(gold), 4) if gold else 0.0,
            "held_out": len(gold),
            "fallback": sum(p == "nlu_fallback" for p in pred),
            "errors": [{"text": t, "intent": g, "predicted": p}
                       for (t, g), p in zip(test, pred) if g != p],
        }
    overall = round(macro_f1(gold_all, pred_all), 4)
    failing = [lang for lang, r in per_language.items() if r["macro_f1"] < args.min_language]
    passed = overall >= args.min_overall and not failing
    summary = {
        "model": str(model.relative_to(ROOT)),
        "train_seconds": train_seconds,
        "every": args.every,
        "thresholds": {"overall": args.min_overall, "language": args.min_language},
        "overall_macro_f1": overall,
        "held_out": len(gold_all),
        "languages": per_language,
        "passed": passed,
    }
    (args.out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n",
                                           encoding="utf-8")
    print(f"intent macro-F1 overall: {overall:.4f} ({len(gold_all)} held out)")
    for lang, r in per_language.items():
        mark = "" if r["macro_f1"] >= args.min_language else "  < threshold"
        print(f"  {lang}: {r['macro_f1']:.4f} ({r['held_out']} held out, "
              f"{len(r['errors'])} wrong){mark}")
    if not passed:
        print(f"FAILED: overall < {args.min_overall} or language(s) below {args.min_language}: "
              f"{', '.join(failing) or '-'}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
