# sdgas-ultra, AGPL-3.0
"""benchmarks/accuracy.py without training: argument checks, the results CSV and resume, paired statistics, report."""

import importlib.util
import math
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "accuracy.py"


@pytest.fixture(scope="module")
def bench():
    """The benchmark script imported as a module (benchmarks/ is no package)."""
    spec = importlib.util.spec_from_file_location("accuracy_benchmark", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_metrics(map50, classes=("crazing", "scratches")):
    """What train_one returns, with made-up numbers."""
    return {"map50": map50, "map50_95": map50 / 2, "params": 3_000_000, "gflops640": 8.0,
            **{f"ap50:{c}": map50 for c in classes}}


def fake_boot(value):
    """What train_one returns beside the metrics: bootstrap replicates of the test mAPs."""
    import numpy as np

    return {"map50": np.full(200, value), "map50_95": np.full(200, value / 2)}


def args_for(bench, tmp_path, *extra):
    return bench.parse_args(["--out", str(tmp_path / "runs"), "--results", str(tmp_path / "r.csv"), *extra])


def test_unknown_model_is_rejected_with_the_valid_names(bench, capsys):
    with pytest.raises(SystemExit):
        bench.parse_args(["--models", "yolov8n", "yolov9t"])
    err = capsys.readouterr().err
    assert "unknown model(s) yolov9t" in err and "sdgasnet-n" in err and "sdgas-a2-figa-n" in err


def test_every_ladder_step_and_lead_names_a_shipped_yaml(bench):
    cfg = Path(__file__).resolve().parents[1] / "cfg" / "models"
    steps = {*bench.LADDER, *bench.LEADS, *bench.LEADS.values(), *bench.LEAVE_ONE_OUT, *bench.CONTROLS, "sdgas-a0-pan-n"}
    for step in steps - set(bench.BASELINES):
        base = step[:-2]  # drop the -n scale suffix
        assert list(cfg.rglob(f"{base}.yaml")), f"{base}.yaml is not shipped"


def test_default_results_file_is_named_after_the_protocol(bench):
    args = bench.parse_args(["--epochs", "40", "--imgsz", "192", "--fraction", "0.5"])
    assert args.results == bench.RESULTS_DIR / "accuracy-synthetic-defects-e40-i192-f0.5.csv"


def test_paired_interval_is_the_student_t_interval_of_the_per_seed_differences(bench):
    # differences 0.02, 0.04, 0.06: mean 0.04, sample sd 0.02, t(0.975, 2) = 4.303 -> half-width 4.303 * 0.02 / sqrt 3
    mean, half, diffs = bench.paired({0: 0.52, 1: 0.54, 2: 0.56, 3: 0.9}, {0: 0.50, 1: 0.50, 2: 0.50})
    assert diffs == pytest.approx([0.02, 0.04, 0.06])
    assert mean == pytest.approx(0.04)
    assert half == pytest.approx(4.303 * 0.02 / math.sqrt(3), rel=1e-4)
    assert bench.fmt_paired(mean, half) == "+4.0 [-1.0, +9.0]"


def test_one_common_seed_gives_no_interval(bench):
    mean, half, _ = bench.paired({0: 0.6}, {0: 0.5, 1: 0.4})
    assert half is None and bench.fmt_paired(mean, half) == "+10.0 (1 seed)"


def test_finished_runs_are_skipped_and_new_ones_appended(bench, tmp_path, monkeypatch):
    args = args_for(bench, tmp_path, "--models", "yolov8n", "--seeds", "0", "1")
    bench.append_row(args.results, {"model": "yolov8n", "seed": 0, **bench.settings(args), **fake_metrics(0.4)})
    trained = []

    def train(model, seed, a, folder):
        trained.append((model, seed))
        return fake_metrics(0.6), fake_boot(0.6)

    monkeypatch.setattr(bench, "train_one", train)
    bench.run_all(args)
    assert trained == [("yolov8n", 1)]
    rows = bench.read_rows(args.results)
    assert [(r["seed"], r["map50"]) for r in rows] == [(0, 0.4), (1, 0.6)]


def test_an_interrupted_run_is_cleared_and_trained_again(bench, tmp_path, monkeypatch):
    args = args_for(bench, tmp_path, "--models", "yolov8n", "--seeds", "0")
    half = bench.run_dir(args.out, "yolov8n", 0)
    (half / "weights").mkdir(parents=True)
    (half / "weights" / "last.pt").write_bytes(b"half")
    monkeypatch.setattr(bench, "train_one",
                        lambda model, seed, a, folder: (folder.mkdir(), (fake_metrics(0.3), fake_boot(0.3)))[1])
    bench.run_all(args)
    assert not (half / "weights").exists()
    assert bench.read_rows(args.results)[0]["map50"] == 0.3


def test_a_row_trained_with_other_settings_stops_the_resume(bench, tmp_path):
    args = args_for(bench, tmp_path, "--models", "yolov8n", "--seeds", "0", "--epochs", "5")
    row = {"model": "yolov8n", "seed": 0, **bench.settings(args), "epochs": 10, **fake_metrics(0.5)}
    with pytest.raises(SystemExit, match="trained with"):
        bench.done([row], "yolov8n", 0, bench.settings(args))


def test_a_new_class_column_keeps_earlier_rows(bench, tmp_path):
    path = tmp_path / "r.csv"
    bench.append_row(path, {"model": "a", "seed": 0, "map50": 0.1, "ap50:x": 0.2})
    bench.append_row(path, {"model": "b", "seed": 0, "map50": 0.3, "ap50:y": 0.4})
    rows = bench.read_rows(path)
    assert rows[0]["ap50:x"] == 0.2 and rows[0]["ap50:y"] is None and rows[1]["ap50:y"] == 0.4


def test_report_holds_means_paired_differences_and_per_seed_values(bench, tmp_path):
    args = args_for(bench, tmp_path, "--seeds", "0", "1")
    for seed, (v8, sd) in enumerate(((0.50, 0.55), (0.60, 0.61))):
        for model, m in (("yolov8n", v8), ("sdgasnet-n", sd)):
            bench.append_row(args.results, {"model": model, "seed": seed, **bench.settings(args), **fake_metrics(m)})
    text = bench.report(bench.read_rows(args.results), "test")
    assert "| yolov8n | 2 | 3.00 | 8.00 | 55.0 ± 7.1 | 27.5 ± 3.5 |" in text
    # differences +5 and +1 points: mean 3.0, sd 2.83, t(0.975, 1) = 12.706 -> half-width 25.4
    assert "| sdgasnet-n − yolov8n | 2 | +3.0 [-22.4, +28.4] |" in text
    assert "| sdgasnet-n | 55.0 | 61.0 |" in text


def test_each_run_stores_its_bootstrap_replicates_beside_the_results(bench, tmp_path, monkeypatch):
    args = args_for(bench, tmp_path, "--models", "yolov8n", "--seeds", "0")
    monkeypatch.setattr(bench, "train_one", lambda model, seed, a, folder: (fake_metrics(0.4), fake_boot(0.25)))
    bench.run_all(args)
    boot = bench.read_boot(args.results)
    assert list(boot) == [("yolov8n", 0)] and boot[("yolov8n", 0)]["map50"].tolist() == [0.25] * 200


def test_paired_bootstrap_of_a_constant_difference_is_that_difference(bench):
    import numpy as np

    a = {s: np.linspace(0.4, 0.6, 50) + 0.03 for s in range(3)}
    b = {s: np.linspace(0.4, 0.6, 50) for s in range(3)}
    assert bench.paired_bootstrap(a, b) == pytest.approx((0.03, 0.03))
    assert bench.paired_bootstrap(a, {7: b[0]}) is None  # no common seed


def test_paired_bootstrap_widens_with_image_and_seed_variation(bench):
    import numpy as np

    rng = np.random.default_rng(0)
    b = {s: np.full(200, 0.5) for s in range(3)}
    images = {s: 0.5 + 0.02 + rng.normal(0, 0.01, 200) for s in range(3)}  # image resampling noise only
    seeds = {s: images[s] + (0.02 * (s - 1)) for s in range(3)}  # plus a per-seed offset
    lo_i, hi_i = bench.paired_bootstrap(images, b)
    lo_s, hi_s = bench.paired_bootstrap(seeds, b)
    assert lo_i < 0.02 < hi_i and hi_s - lo_s > hi_i - lo_i


def test_bootstrap_replicates_share_the_image_resamples_across_runs(bench):
    import numpy as np

    assert np.array_equal(bench.resamples(30), bench.resamples(30)) and bench.resamples(30).shape == (bench.BOOT, 30)
    one = {"tp": np.ones((1, 10), bool), "conf": np.array([0.9]), "pred_cls": np.array([0.0]),
           "target_cls": np.array([0.0])}
    miss = {"tp": np.zeros((1, 10), bool), "conf": np.array([0.9]), "pred_cls": np.array([0.0]),
            "target_cls": np.array([0.0])}
    reps = bench.bootstrap([one] * 10 + [miss] * 10)["map50"]
    assert 0 < reps.min() < reps.max() < 1  # image resamples change the mAP


def test_report_leads_with_test_numbers_and_their_bootstrap_interval(bench, tmp_path):
    args = args_for(bench, tmp_path, "--seeds", "0", "1")
    boot = {}
    for seed, (v8, sd) in enumerate(((0.50, 0.55), (0.60, 0.61))):
        for model, m in (("yolov8n", v8), ("sdgasnet-n", sd)):
            test = {f"test_{k}": v for k, v in fake_metrics(m - 0.1).items() if k not in ("params", "gflops640")}
            bench.append_row(args.results, {"model": model, "seed": seed, **bench.settings(args), **fake_metrics(m),
                                            **test, "val_gain_last_tenth": 0.004})
            boot[(model, seed)] = fake_boot(m - 0.1)
    text = bench.report(bench.read_rows(args.results), "t", boot)
    assert "| yolov8n | 2 | 3.00 | 8.00 | 45.0 ± 7.1 | 22.5 ± 3.5 | 55.0 ± 7.1 | 0.4 ± 0.0 |" in text
    assert "| sdgasnet-n − yolov8n | 2 | +3.0 [-22.4, +28.4] | [+1.0, +5.0] |" in text
    assert text.index("Test split, paired") < text.index("Val split")


def test_docs_block_is_rewritten_between_the_markers_only(bench, tmp_path):
    doc = tmp_path / "b.md"
    doc.write_text(f"intro\n{bench.MARK_BEGIN}\nold\n{bench.MARK_END}\noutro\n")
    bench.write_docs(doc, "new table")
    assert doc.read_text() == f"intro\n{bench.MARK_BEGIN}\n\nnew table\n{bench.MARK_END}\noutro\n"
    doc.write_text("no markers")
    with pytest.raises(SystemExit, match="no '<!-- accuracy:begin -->'"):
        bench.write_docs(doc, "x")
