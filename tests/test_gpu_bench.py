# sdgas-ultra, AGPL-3.0
"""benchmarks.gpu and gpu.sh: the CPU smoke run end to end, and the pieces that need no model."""

import csv
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODELS = ("sdgasnet-n", "yolov8n", "yolo11n", "yolo26n")


@pytest.fixture(scope="module")
def bench():
    """The GPU benchmark module (it imports torch and ultralytics at once)."""
    from benchmarks import gpu

    return gpu


def row(bench, model, fps, parity=None, scale=None):
    """A result row as table_rows makes it, with made-up numbers."""
    r = dict.fromkeys(bench.COLUMNS)
    r.update(model=model, best_fps=fps, best_path="fp16 compiled", best_fps_vs_yolov8n=1.0, parity_fp32_max_abs=parity,
             output_max_abs=scale, note="")
    return r


@pytest.mark.slow
def test_tiny_cpu_run_reports_every_model_with_zero_parity_for_the_eager_backend(tmp_path):
    # backend 'eager' traces each model with dynamo and replays the very same ops, so the outputs must be identical
    proc = subprocess.run([sys.executable, "-m", "benchmarks.gpu", "--device", "cpu", "--tiny", "--backend", "eager",
                           "--out", str(tmp_path)], capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    table = (tmp_path / "gpu.md").read_text()
    assert table in proc.stdout
    assert "parity FP32 max abs" in table and "torch.compile(model, backend='eager')" in table
    for model in MODELS:
        assert f"| {model} |" in table
    with open(tmp_path / "gpu.csv", newline="") as f:
        rows = {r["model"]: r for r in csv.DictReader(f)}
    assert set(rows) == set(MODELS)
    for r in rows.values():
        assert float(r["parity_fp32_max_abs"]) == 0.0 and float(r["parity_fp16_max_abs"]) == 0.0, r
        assert min(float(r[k]) for k in ("fp32_eager_ms", "fp16_compiled_ms", "big_fp16_eager_img_s")) > 0
        assert r["graph_breaks"] == "0" and r["note"] == ""
    assert float(rows["yolov8n"]["best_fps_vs_yolov8n"]) == 1.0
    assert "FP32 eager vs compiled, worst max abs diff 0.0e+00 (outputs up to" in table and "target 1e-03: met" in table
    assert all(float(r["output_max_abs"]) > 1 for r in rows.values())  # BatchNorm calibration keeps outputs alive


def test_markdown_states_both_targets(bench):
    rows = [row(bench, "sdgasnet-n", 600.0, 2e-4, 300.0), row(bench, "yolov8n", 500.0, 2e-3, 400.0)]
    rows[0]["best_fps_vs_yolov8n"], rows[1]["best_fps_vs_yolov8n"] = 1.2, 1.0
    text = bench.markdown(["card line"], rows, 32)
    assert text.startswith("card line\n") and "b32 FP16 eager img/s" in text
    assert "sdgasnet-n best batch-1 FPS 600 (fp16 compiled), target 540: met; 1.20x yolov8n's best" in text
    # the worst model decides
    assert "worst max abs diff 2.0e-03 (outputs up to 4.0e+02, boxes in pixels), target 1e-03: not met" in text


def test_markdown_without_compiled_rows_has_no_parity_verdict(bench):
    text = bench.markdown([], [row(bench, "sdgasnet-n", 100.0)], 32)
    assert "target 540: not met" in text and "parity" in text and "worst max abs diff" not in text


def test_head_output_is_the_first_tensor_as_fp32(bench):
    import torch

    y = torch.ones(1, 84, 3, dtype=torch.float16)
    out = bench.head_output((y, {"boxes": torch.zeros(1)}))
    assert out.dtype == torch.float32 and out.shape == (1, 84, 3)


def test_time_limit_interrupts_a_long_call(bench):
    t = time.monotonic()
    with pytest.raises(TimeoutError, match="over 0 s"):
        with bench.time_limit(0.2):
            time.sleep(5)
    assert time.monotonic() - t < 2


def test_compile_is_skipped_with_a_note_when_the_budget_is_spent(bench):
    args = bench.parse_args(["--device", "cpu", "--tiny"])
    eager = bench.Variant("yolov8n", "fp16", "eager", 1, fn=None, x=None)
    notes = {"yolov8n": []}
    v, secs, breaks = bench.compile_variant(eager, args, deadline=time.monotonic(), notes=notes)
    assert v is None and secs == 0.0 and breaks == 0
    assert notes["yolov8n"] == ["fp16 b1 not compiled: time budget spent"]


def test_merge_csv_takes_the_union_of_columns(bench, tmp_path):
    (tmp_path / "a.csv").write_text("model,seed,map50\nyolov8n,0,0.5\n")
    (tmp_path / "b.csv").write_text("model,seed,map50,ap50:crazing\nsdgasnet-n,1,0.6,0.7\n")
    dest = bench.merge_csv([tmp_path / "a.csv", tmp_path / "b.csv"], tmp_path / "out" / "m.csv")
    assert dest.read_text().splitlines() == ["model,seed,map50,ap50:crazing", "yolov8n,0,0.5,",
                                             "sdgasnet-n,1,0.6,0.7"]
    assert bench.merge_csv([], tmp_path / "none.csv") is None and not (tmp_path / "none.csv").exists()


def test_the_runs_bootstrap_and_curve_files_are_merged_beside_the_results(bench, tmp_path):
    from benchmarks.common.results import read_boot, read_curves, read_rows

    parts = []
    for model in ("yolov8n", "sdgasnet-n"):
        part = tmp_path / model / "accuracy-part.csv"
        part.parent.mkdir()
        part.write_text(f"model,seed,map50\n{model},4,0.5\n")
        (part.parent / "boot-part.csv").write_text(f"model,seed,boot_map50,boot_map50_95\n{model},4,0.4 0.5,0.2 0.3\n")
        (part.parent / "curves-part.csv").write_text(f"model,seed,val_map50\n{model},4,0.1 0.5\n")
        parts.append(part)
    dest = bench.merge_parts(parts, tmp_path / "out" / "accuracy-gpu-e80-i192.csv")
    assert [r["model"] for r in read_rows(dest)] == ["yolov8n", "sdgasnet-n"]
    assert sorted(read_boot(dest)) == sorted(read_curves(dest)) == [("sdgasnet-n", 4), ("yolov8n", 4)]
    assert read_curves(dest)[("yolov8n", 4)].tolist() == [0.1, 0.5]


def test_every_runs_curve_comes_back_named_by_model_and_seed(bench, tmp_path):
    # a run stopped by the budget writes no accuracy row: its per-epoch results.csv is what is left of it
    runs = tmp_path / "acc" / "runs"
    for model, seed, epochs in (("yolov8n", 4, 80), ("sdgasnet-n", 4, 57)):
        (runs / model / f"seed{seed}").mkdir(parents=True)
        (runs / model / f"seed{seed}" / "results.csv").write_text("epoch\n" + "".join(f"{e}\n" for e in range(epochs)))
    bench.save_curves(SimpleNamespace(out=tmp_path / "out", acc_dir=tmp_path / "acc", acc_epochs=80, acc_imgsz=192))
    curves = tmp_path / "out" / "curves-e80-i192"
    assert sorted(p.name for p in curves.iterdir()) == ["sdgasnet-n-seed4.csv", "yolov8n-seed4.csv"]
    assert len((curves / "sdgasnet-n-seed4.csv").read_text().splitlines()) == 58


def test_tiny_shrinks_every_size_and_count(bench):
    args = bench.parse_args(["--tiny", "--imgsz", "640"])
    assert (args.imgsz, args.runs, args.big_batch, args.big_runs, args.warmup) == (64, 3, 2, 2, 1)


def test_gpu_sh_is_valid_bash():
    assert subprocess.run(["bash", "-n", str(ROOT / "benchmarks" / "gpu.sh")]).returncode == 0
