#!/usr/bin/env bash
# sdgas-ultra, AGPL-3.0
# GPU benchmark of issue #14 (python -m benchmarks.gpu) in one call of the device tool's `run`.
#
# 1. Here, on a machine with pip and this project's environment, once:
#        benchmarks/gpu.sh --prepare
#    fills .whl/ (git-ignored) with the wheels that the GPU machine lacks, at the versions installed here, for
#    CPython 3.12 on manylinux x86_64: ultralytics, ultralytics-thop, polars and polars-runtime-32 (ultralytics'
#    trainer reads results.csv with polars). No torch, numpy or OpenCV: the GPU machine has them. sdgas-ultra itself
#    is not a wheel: the working tree travels, and PYTHONPATH points at it. The device tool carries at most 64 MiB
#    in all (working tree plus carried paths); --prepare adds them up and fails above that.
# 2. On the GPU machine, from the repository root (the `run` tool starts there):
#        run(command="bash benchmarks/gpu.sh", carry=[".whl"], timeout_s=540)
#    installs .whl/*.whl into /tmp/sdgas-site, then runs `python3 -m benchmarks.gpu` with any arguments given here,
#    e.g. `bash benchmarks/gpu.sh --accuracy --acc-epochs 30`. The table, gpu.md, gpu.csv and gpu.log go to $OUT when
#    it is set (the tool brings them back), else to benchmarks/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
LIMIT=$((64 * 1024 * 1024))

if [[ "${1:-}" == "--prepare" ]]; then
    py=${PYTHON:-python}
    pins=$("$py" -c 'import importlib.metadata as m; print(" ".join(f"{n}=={m.version(n)}" for n in
        ("ultralytics", "ultralytics-thop", "polars", "polars-runtime-32")))')
    rm -rf .whl && mkdir .whl
    "$py" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 \
        -d .whl $pins
    tree=$(git ls-files -co --exclude-standard -z | du -cb --files0-from=- | tail -1 | cut -f1)
    whl=$(du -cb .whl/*.whl | tail -1 | cut -f1)
    ls -l .whl
    echo "working tree $((tree / 1024)) KiB + .whl $((whl / 1024)) KiB = $(((tree + whl) / 1024)) KiB" \
         "of the $((LIMIT / 1024)) KiB the run tool carries"
    if ((tree + whl > LIMIT)); then
        echo "ERROR: over the carry limit; shrink the working tree or drop a wheel" >&2
        exit 1
    fi
    exit 0
fi

out=${OUT:-benchmarks/results}
mkdir -p "$out"
if compgen -G ".whl/*.whl" >/dev/null; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/sdgas-site \
        .whl/*.whl
    export PYTHONPATH=/tmp/sdgas-site:$PWD${PYTHONPATH:+:$PYTHONPATH}
else
    echo "no .whl/*.whl here (run benchmarks/gpu.sh --prepare, and carry .whl): using the installed packages"
fi
export YOLO_OFFLINE=1 PYTHONUNBUFFERED=1 YOLO_CONFIG_DIR=${YOLO_CONFIG_DIR:-/tmp/sdgas-yolo-config}
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader || true
python3 -m benchmarks.gpu "$@" 2>&1 | tee "$out/gpu.log"
