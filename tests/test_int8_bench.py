# sdgas-ultra, AGPL-3.0
"""benchmarks/int8.py end to end on tiny data: a 1-epoch model exported at FP32 and at both INT8 settings, scored on
val and test, rows written and reported; upstream's settings and the plugin's give different INT8 files."""

import csv
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_int8_bench_exports_both_settings_and_reports_their_change_from_fp32(tiny_data, tmp_path):
    from sdgas_ultra import SDGASModel

    model = SDGASModel("sdgasnet-n.yaml")
    model.train(data=str(tiny_data), epochs=1, imgsz=64, batch=4, workers=0, device="cpu", plots=False,
                project=str(tmp_path / "runs"), name="t", exist_ok=True)  # fmt: skip
    runtimes = ["onnx"] + ["openvino"] * bool(importlib.util.find_spec("nncf"))
    out = tmp_path / "int8.csv"
    cmd = [sys.executable, "-m", "benchmarks.int8", "--data", str(tiny_data), "--imgsz", "64", "--runtimes", *runtimes,
           "--weights", f"tiny/0={model.trainer.best}", "--workdir", str(tmp_path / "work"), "--csv", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=1200, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = list(csv.DictReader(open(out)))
    assert [(r["runtime"], r["setting"]) for r in rows] == [
        (fmt, s) for fmt in runtimes for s in ("fp32", "int8-upstream", "int8-plugin")]
    assert all(0 <= float(r[f"{s}_map50"]) <= 1 for r in rows for s in ("val", "test"))
    for fmt, name in (("onnx", "model_int8.onnx"), ("openvino", "model_int8_openvino_model/model.bin")):
        if fmt in runtimes:
            files = [tmp_path / "work" / "tiny-0" / fmt / s / name for s in ("int8-upstream", "int8-plugin")]
            assert files[0].read_bytes() != files[1].read_bytes()  # the settings reached the quantizer
    assert re.search(r"^\| tiny/0 \(\S+\) \| onnx \| int8-plugin \|", proc.stdout, re.M)  # checkpoint (dataset)
