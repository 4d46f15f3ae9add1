"""Throughput of language identification: plain seeded langdetect vs the project detector.

Runs both over every message of data/langid/labelled.jsonl (after one warm-up pass, so model
loading is not counted; it is reported separately) and prints messages per second and the ratio.

    .venv/bin/python bench/langid.py [--repeat N]
"""
from __future__ import annotations

import argparse
import time

from hotline.language import engines
from hotline.language.detect import detect_language
from hotline.language.evaluation import load_rows


def _rate(fn, texts: list[str], repeat: int) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    for _ in range(repeat):
        for text in texts:
            fn(text)
    return repeat * len(texts) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="passes over the labelled set")
    args = parser.parse_args()
    texts = [row.text for row in load_rows()]

    start = time.perf_counter()
    engines.warm_up()
    detect_language("warm up the word lists")
    load_s = time.perf_counter() - start

    systems = {
        "langdetect (seeded, restricted)": engines.plain_langdetect,
        "lingua (restricted)": engines.plain_lingua,
        "project detect_language": lambda t: detect_language(t),
    }
    rates = {name: _rate(fn, texts, args.repeat) for name, fn in systems.items()}
    print(f"{len(texts)} messages x {args.repeat} passes; model loading {load_s:.2f} s (once per process)")
    for name, rate in rates.items():
        print(f"{name:<34} {rate:>9.0f} messages/s  {1000 / rate:6.2f} ms/message")
    base = rates["langdetect (seeded, restricted)"]
    project = rates["project detect_language"]
    print(f"ratio project / langdetect: {project / base:.2f}x")


if __name__ == "__main__":
    main()
