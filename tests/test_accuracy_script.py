# sdgas-ultra, AGPL-3.0
"""benchmarks/accuracy.py without training: argument checks, resume logic and the report, on fake results."""

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "accuracy.py"
CLASSES = ["crazing", "scratches"]


@pytest.fixture(scope="module")
def bench():
    """The benchmark script imported as a module (benchmarks/ is no package)."""
    spec = importlib.util.spec_from_file_location("accuracy_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_metrics(map50, ap50=None):
    """What train_one returns, with made-up numbers."""
    ap50 = {"crazing": map50, "scratches": map50} if ap50 is None else ap50
    return {"weights": "weights/best.pt", "map50": map50, "map50_95": map50 / 2, "classes": CLASSES, "ap50": ap50,
            "params": 3_000_000, "gflops": 0.08, "gflops640": 8.0}


def finish(bench, args, model, seed, map50=0.5):
    """Write the result.json of a finished run, as run_all does."""
    folder = bench.run_dir(args.out, model, seed)
    folder.mkdir(parents=True)
    bench.write_result(folder, {"model": model, "seed": seed, "settings": bench.settings(args), **fake_metrics(map50)})
    return folder


def test_unknown_model_is_rejected_with_the_valid_names(bench, capsys):
    with pytest.raises(SystemExit):
        bench.parse_args(["--models", "yolov8n", "yolov9t"])
    err = capsys.readouterr().err
    assert "unknown model(s) yolov9t" in err and "sdgasnet-n+sd" in err and "sdgas-a1-figa-n" in err


def test_out_is_made_absolute(bench, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert bench.parse_args(["--out", "runs/acc"]).out == tmp_path / "runs" / "acc"


def test_fmt_gives_mean_plus_minus_sample_std_in_percent(bench):
    assert bench.fmt([0.50, 0.52, 0.54]) == "52.0 ± 2.0"


def test_fmt_gives_the_mean_alone_for_one_seed_and_a_dash_for_none(bench):
    assert bench.fmt([0.4567]) == "45.7"
    assert bench.fmt([]) == "–"


def test_teacher_runs_before_the_distilled_model_and_only_once(bench):
    assert bench.with_teachers(["sdgasnet-n+sd", "yolov8n"]) == ["sdgasnet-n", "sdgasnet-n+sd", "yolov8n"]
    assert bench.with_teachers(["sdgasnet-n", "sdgasnet-n+sd"]) == ["sdgasnet-n", "sdgasnet-n+sd"]


def test_finished_runs_are_skipped(bench, tmp_path, monkeypatch):
    args = bench.parse_args(["--models", "yolov8n", "--seeds", "0", "1", "--out", str(tmp_path)])
    finish(bench, args, "yolov8n", 0, 0.4)
    finish(bench, args, "yolov8n", 1, 0.6)
    monkeypatch.setattr(bench, "train_one", lambda *a: pytest.fail("a finished run was trained again"))
    results = bench.run_all(args)
    assert [r["map50"] for r in results["yolov8n"]] == [0.4, 0.6]


def test_an_interrupted_run_is_cleared_and_trained_again(bench, tmp_path, monkeypatch):
    args = bench.parse_args(["--models", "yolov8n", "--seeds", "0", "--out", str(tmp_path)])
    half = bench.run_dir(args.out, "yolov8n", 0)
    (half / "weights").mkdir(parents=True)
    (half / "weights" / "last.pt").write_bytes(b"half")
    monkeypatch.setattr(bench, "train_one", lambda model, seed, a, folder: (folder.mkdir(), fake_metrics(0.3))[1])
    results = bench.run_all(args)
    assert not (half / "weights").exists()
    assert json.loads((half / bench.RESULT).read_text())["map50"] == results["yolov8n"][0]["map50"] == 0.3


def test_a_run_trained_with_other_settings_stops_the_resume(bench, tmp_path):
    args = bench.parse_args(["--models", "yolov8n", "--seeds", "0", "--epochs", "5", "--out", str(tmp_path)])
    folder = finish(bench, args, "yolov8n", 0)
    with pytest.raises(SystemExit, match="use another --out"):
        bench.load_result(folder, {**bench.settings(args), "epochs": 10})


def test_report_tables_hold_mean_std_and_a_dash_for_a_class_never_seen(bench, tmp_path):
    args = bench.parse_args(["--models", "yolov8n", "sdgasnet-n", "--seeds", "0", "1", "--imgsz", "64"])
    runs = [{"seed": s, **fake_metrics(m)} for s, m in ((0, 0.5), (1, 0.7))]
    runs_missing_class = [{"seed": s, **fake_metrics(0.6, {"crazing": 0.6})} for s in (0, 1)]
    rows = bench.summarize({"yolov8n": runs, "sdgasnet-n": runs_missing_class})
    text = bench.markdown(rows, {"yolov8n": 123.45}, args)
    assert "| Model | Params (M) | GFLOPs@64 | GFLOPs@640 | CPU ms@640 | mAP50 (%) | mAP50-95 (%) |" in text
    assert "| yolov8n | 3.00 | 0.08 | 8.00 | 123.5 | 60.0 ± 14.1 | 30.0 ± 7.1 |" in text
    assert "| sdgasnet-n | 60.0 ± 0.0 | – |" in text  # per-class table; no latency measured -> '–' above
    assert "| sdgasnet-n | 3.00 | 0.08 | 8.00 | – |" in text


def test_chart_is_written_as_png(bench, tmp_path):
    rows = bench.summarize({"yolov8n": [{"seed": 0, **fake_metrics(0.5)}]})
    bench.plot(rows, {"yolov8n": 100.0}, tmp_path / "chart.png", "fake")
    assert (tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"
