# sdgas-ultra, AGPL-3.0
"""benchmarks/opcount.py end to end at imgsz 64: exact operator counts, the same on every run."""

import csv
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the benchmark, twice, in fresh interpreters (10-20 s on 2 cores)

ROOT = Path(__file__).resolve().parents[1]
MODELS = ["sdgasnet-n.yaml", "yolov8n.yaml", "yolo11n.yaml", "yolo26n.yaml"]


def run_opcount(csv_path):
    """Run the benchmark as a user would; return {(model, row): (ops, convs)} from its CSV."""
    cmd = [sys.executable, "-m", "benchmarks.opcount", "--imgsz", "64", "--models", *MODELS]
    proc = subprocess.run([*cmd, "--csv", str(csv_path)], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "operators / yolov8n" in proc.stdout
    with open(csv_path) as f:
        return {(r["model"], r["row"]): (r["ops"], r["convs"]) for r in csv.DictReader(f)}


def test_opcount_gives_positive_integer_counts_that_repeat_exactly(tmp_path):
    first, second = run_opcount(tmp_path / "a.csv"), run_opcount(tmp_path / "b.csv")
    assert first == second
    totals = {model: first[(model, "total")] for model in (Path(m).stem for m in MODELS)}
    for ops, convs in totals.values():
        assert ops.isdigit() and convs.isdigit()
        assert int(ops) > int(convs) > 0
    for model in totals:  # the rows add up to the total
        rows = [v for (m, row), v in first.items() if m == model and row != "total"]
        assert sum(int(o) for o, _ in rows) == int(totals[model][0])
    assert int(totals["sdgasnet-n"][1]) > int(totals["yolov8n"][1])  # FIGA and Allocate add convolutions
