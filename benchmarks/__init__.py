# sdgas-ultra, AGPL-3.0
"""Benchmarks of sdgas-ultra: each is a module run from the repository root as

    python -m benchmarks.<name> [options]      # e.g. python -m benchmarks.accuracy --report

accuracy (training protocol, paired over seeds), distill (self-distillation), speed (PyTorch CPU latency),
export_speed (ONNX Runtime latency), memory (training peak RSS), gpu (GPU latency; see gpu.sh)
and readme (renders README.md's figures from the committed results); `--help` lists a
module's options. What they share lives in benchmarks/common/. Results are committed under benchmarks/results/.
"""

import os

os.environ.setdefault("YOLO_OFFLINE", "1")  # before any benchmark imports ultralytics: no network checks, no telemetry
