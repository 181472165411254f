#!/usr/bin/env bash
# Install sdgas-ultra with its test extras into the active Python environment and run the test suite, offline.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install -q --upgrade pip
python -m pip install -q "torch==2.14.1" "torchvision==0.29.1"  # served from local disk here; pinned
python -m pip install -q ".[test]"  # a real (non-editable) install: the start-up hook lands in site-packages
export YOLO_OFFLINE=1
python -m pytest tests -q "$@"
