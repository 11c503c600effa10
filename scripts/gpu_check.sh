#!/usr/bin/env bash
# The GPU checks as one run, from the repository root on a machine with CUDA: the GPU tests, then the GPU
# benchmarks (saved to benchmarks/history as a new run, whose ratios are printed). About 5 minutes on an H100.
set -euo pipefail
python -m pytest -m gpu -q -p no:cacheprovider tests
python -m pytest benchmarks/test_training_speed.py -k cuda -q -p no:cacheprovider --benchmark-autosave
python benchmarks/saved_runs.py "$(ls -t benchmarks/history/*/*.json | head -n 1)"
