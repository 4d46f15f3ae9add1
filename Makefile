# Shortcuts; the scripts are the source of truth (README's two commands call them directly).
.PHONY: setup run test bench
setup:
	bash scripts/setup.sh
run:
	bash scripts/setup.sh --serve
test:
	bash scripts/test.sh
bench:
	.venv/bin/python bench/run_all.py
