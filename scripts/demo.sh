#!/usr/bin/env bash
# Install sdgas-ultra into the active Python environment and train SD-GASNet-n on the offline synthetic dataset.
# Quick budget (minutes on a laptop CPU) by default; pass FULL=1 for the full budget.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
python -m pip install -q --upgrade pip
python -m pip install -q "torch==2.14.1" "torchvision==0.29.1"
python -m pip install -q "$repo"
export YOLO_OFFLINE=1  # runs/ is written to the current directory
if [ "${FULL:-0}" = 1 ]; then
  yolo train model=sdgasnet-n.yaml data=synthetic-defects.yaml epochs=100 imgsz=224 batch=16
else
  yolo train model=sdgasnet-n.yaml data=synthetic-defects.yaml epochs=5 imgsz=160 batch=16 workers=2
fi
