# sdgas-ultra, AGPL-3.0
"""benchmarks/runtimes.py end to end on tiny data (1-epoch models, imgsz 64): every runtime whose exporter is installed
is exported with the stock `yolo export`, run by stock YOLO without the plugin, and reported without an error."""

import csv
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def installed(*modules):
    return all(importlib.util.find_spec(m) for m in modules)


@pytest.mark.slow
def test_runtimes_exports_runs_and_reports_every_installed_runtime(tiny_data, tmp_path):
    variants = ["pytorch", "torchscript", "onnx", "onnx-int8", "openvino"]
    variants += ["openvino-int8"] * installed("nncf") + ["ncnn"] * installed("ncnn", "pnnx")
    out = tmp_path / "runtimes.csv"
    cmd = [sys.executable, "-m", "benchmarks.runtimes", "--data", str(tiny_data), "--imgsz", "64",
           "--epochs", "1", "--runs", "2", "--warmup", "1", "--images", "2", "--conf", "0.001", "--variants", *variants,
           "--workdir", str(tmp_path / "work"), "--csv", str(out)]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # the benchmarks package, from any folder
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, timeout=1800, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = {(r["model"], r["variant"]): r for r in csv.DictReader(open(out))}
    assert set(rows) == {(m, v) for m in ("sdgasnet-n", "yolov8n") for v in variants}
    for (model, variant), r in rows.items():
        assert not r["error"], (model, variant, r["error"])
        assert 0 <= float(r["map50"]) <= 1
        assert float(r["latency_ms"]) > 0
        if model == "yolov8n":
            assert float(r["latency_vs_yolov8n"]) == 1.0  # the baseline, paired with itself
        if variant.endswith("int8"):
            assert r["map50_minus_fp32"] != "" and float(r["latency_vs_fp32"]) > 0
    for model in ("sdgasnet-n", "yolov8n"):  # the matcher on identical predictions: every box, 0 px apart
        matched, total = rows[(model, "pytorch")]["boxes_matched"].split("/")
        assert matched == total and int(total) > 0 and float(rows[(model, "pytorch")]["box_max_px"]) == 0


def test_box_agreement_matches_boxes_of_a_class_by_iou_and_counts_the_rest():
    from benchmarks.runtimes import box_agreement

    ref = [[[0, 0, 10, 10, 0.9, 1], [20, 20, 30, 30, 0.8, 2]], []]
    got = [[[1, 0, 10, 11, 0.9, 1], [20, 20, 30, 30, 0.5, 1]], [[0, 0, 1, 1, 0.3, 0]]]
    # box 1 matches within 1 px; box 2 has an exact twin of another class: unmatched; two boxes are extra
    assert box_agreement(ref, got) == (1, 1, 2, 2)
