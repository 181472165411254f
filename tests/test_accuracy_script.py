# sdgas-ultra, AGPL-3.0
"""benchmarks.accuracy: argument checks, resume and the report without training; one tiny training run (slow)."""

from pathlib import Path

import numpy as np
import pytest

import sdgas_ultra
from benchmarks import accuracy as bench
from benchmarks.common.protocol import run_dir, settings
from benchmarks.common.report import markers
from benchmarks.common.results import RESULTS_DIR, append_row, done, read_boot, read_curves, read_rows


def fake_metrics(map50, classes=("crazing", "scratches")):
    """What train_one returns, with made-up numbers."""
    return {"map50": map50, "map50_95": map50 / 2, "params": 3_000_000, "gflops640": 8.0,
            **{f"ap50:{c}": map50 for c in classes}}


def fake_boot(value):
    """What train_one returns beside the metrics: bootstrap replicates of the test mAPs."""
    import numpy as np

    return {"map50": np.full(200, value), "map50_95": np.full(200, value / 2)}


def fake_run(folder, map50, curve=(0.1, 0.3)):
    """What train_one leaves and returns, with made-up numbers: ultralytics' results.csv (val mAP50 per epoch) in
    the run folder, the metrics and the bootstrap replicates."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.csv").write_text("epoch,  metrics/mAP50(B)\n" + "".join(f"{e},{v}\n" for e, v in
                                                                            enumerate(curve, 1)))
    return fake_metrics(map50), fake_boot(map50)


def args_for(tmp_path, *extra):
    return bench.parse_args(["--out", str(tmp_path / "runs"), "--results", str(tmp_path / "r.csv"), *extra])


def test_unknown_model_is_rejected_with_the_valid_names(capsys):
    with pytest.raises(SystemExit):
        bench.parse_args(["--models", "yolov8n", "yolov9t"])
    err = capsys.readouterr().err
    assert "unknown model(s) yolov9t" in err and "sdgasnet-n" in err and "sdgas-a2-figa-n" in err


def test_every_ladder_step_and_lead_names_a_shipped_yaml():
    cfg = Path(__file__).resolve().parents[1] / "cfg" / "models"
    steps = {*bench.LADDER, *bench.LEADS, *bench.LEADS.values(), *bench.LEAVE_ONE_OUT_R04, *bench.CONTROLS,
             *(m for pair in bench.MODULES for m in pair[:2]), "sdgas-a0-pan-n"}
    for step in steps - set(bench.BASELINES):
        base = step[:-2]  # drop the -n scale suffix
        assert list(cfg.rglob(f"{base}.yaml")), f"{base}.yaml is not shipped"


def test_default_results_file_is_named_after_the_protocol():
    args = bench.parse_args(["--epochs", "40", "--imgsz", "192", "--fraction", "0.5"])
    assert args.results == RESULTS_DIR / "accuracy-synthetic-defects-e40-i192-f0.5.csv"


def test_finished_runs_are_skipped_and_new_ones_appended(tmp_path, monkeypatch):
    args = args_for(tmp_path, "--models", "yolov8n", "--seeds", "0", "1")
    append_row(args.results, {"model": "yolov8n", "seed": 0, **settings(args), **fake_metrics(0.4)})
    trained = []

    def train(model, seed, a, folder):
        trained.append((model, seed))
        return fake_run(folder, 0.6)

    monkeypatch.setattr(bench, "train_one", train)
    bench.run_all(args)
    assert trained == [("yolov8n", 1)]
    rows = read_rows(args.results)
    assert [(r["seed"], r["map50"]) for r in rows] == [(0, 0.4), (1, 0.6)]
    assert [r.get("version") for r in rows] == ["", sdgas_ultra.__version__]  # the new row records its release


def test_an_interrupted_run_is_cleared_and_trained_again(tmp_path, monkeypatch):
    args = args_for(tmp_path, "--models", "yolov8n", "--seeds", "0")
    half = run_dir(args.out, "yolov8n", 0)
    (half / "weights").mkdir(parents=True)
    (half / "weights" / "last.pt").write_bytes(b"half")
    monkeypatch.setattr(bench, "train_one", lambda model, seed, a, folder: fake_run(folder, 0.3))
    bench.run_all(args)
    assert not (half / "weights").exists()
    assert read_rows(args.results)[0]["map50"] == 0.3


def test_run_folders_of_two_protocols_never_meet(tmp_path):
    """A textile run of (model, seed) must not clear the steel run of the same pair (issue #20 lost steel best.pt
    files that way): each protocol has its own folder under --out."""
    steel = args_for(tmp_path, "--models", "yolov8n", "--seeds", "0")
    textile = args_for(tmp_path, "--models", "yolov8n", "--seeds", "0", "--data", "synthetic-textile.yaml")
    assert run_dir(steel.out, "yolov8n", 0) != run_dir(textile.out, "yolov8n", 0)
    assert steel.out.parent == textile.out.parent == (tmp_path / "runs").resolve()


def test_a_row_trained_with_other_settings_stops_the_resume(tmp_path):
    args = args_for(tmp_path, "--models", "yolov8n", "--seeds", "0", "--epochs", "5")
    row = {"model": "yolov8n", "seed": 0, **settings(args), "epochs": 10, **fake_metrics(0.5)}
    with pytest.raises(SystemExit, match="trained with"):
        done([row], "yolov8n", 0, settings(args))


def test_report_holds_means_paired_differences_and_per_seed_values(tmp_path):
    args = args_for(tmp_path, "--seeds", "0", "1")
    for seed, (v8, sd) in enumerate(((0.50, 0.55), (0.60, 0.61))):
        for model, m in (("yolov8n", v8), ("sdgasnet-n", sd)):
            append_row(args.results, {"model": model, "seed": seed, **settings(args), **fake_metrics(m)})
    text = bench.report(read_rows(args.results), "test")
    assert "| yolov8n | 2 | 3.00 | 8.00 | 55.0 ± 7.1 | 27.5 ± 3.5 |" in text
    # differences +5 and +1 points: mean 3.0, sd 2.83, t(0.975, 1) = 12.706 -> half-width 25.4
    assert "| sdgasnet-n − yolov8n | 2 | +3.0 [-22.4, +28.4] |" in text
    assert "| sdgasnet-n | 55.0 | 61.0 |" in text


def test_each_run_stores_its_bootstrap_replicates_and_curve_beside_the_results(tmp_path, monkeypatch):
    args = args_for(tmp_path, "--models", "yolov8n", "--seeds", "0")
    monkeypatch.setattr(bench, "train_one", lambda model, seed, a, folder: (fake_run(folder, 0.4, (0.1, 0.25, 0.2))[0],
                                                                            fake_boot(0.25)))
    bench.run_all(args)
    boot = read_boot(args.results)
    assert list(boot) == [("yolov8n", 0)] and boot[("yolov8n", 0)]["map50"].tolist() == [0.25] * 200
    assert {k: v.tolist() for k, v in read_curves(args.results).items()} == {("yolov8n", 0): [0.1, 0.25, 0.2]}


def test_report_reads_the_learning_curves_at_points_of_the_schedule(tmp_path):
    args = args_for(tmp_path, "--seeds", "0", "1")
    for seed in (0, 1):
        for model, m in (("yolov8n", 0.5), ("sdgasnet-n", 0.6)):
            append_row(args.results, {"model": model, "seed": seed, **settings(args), **fake_metrics(m)})
    ramp = np.linspace(0.01, 0.40, 40)  # 40 epochs; sdgasnet-n leads by 5 points until epoch 20, then by 1
    curves = {("yolov8n", s): ramp for s in (0, 1)}
    curves.update({("sdgasnet-n", s): ramp + np.where(np.arange(40) < 20, 0.05, 0.01) for s in (0, 1)})
    text = bench.report(read_rows(args.results), "t", curves=curves)
    assert "Learning curve, sdgasnet-n against yolov8n on the val split" in text
    assert "| 10 of 40 | 10.0 ± 0.0 | 15.0 ± 0.0 | +5.0 [+5.0, +5.0] | +5.0 +5.0 |" in text  # best of epochs 1-10
    assert "| 40 of 40 | 40.0 ± 0.0 | 41.0 ± 0.0 | +1.0 [+1.0, +1.0] | +1.0 +1.0 |" in text
    assert "against sdgas-c-yolov8-wide-n" not in text  # no curves of the control: no table


def test_report_leads_with_test_numbers_and_their_bootstrap_interval(tmp_path):
    args = args_for(tmp_path, "--seeds", "0", "1")
    boot = {}
    for seed, (v8, sd) in enumerate(((0.50, 0.55), (0.60, 0.61))):
        for model, m in (("yolov8n", v8), ("sdgasnet-n", sd)):
            test = {f"test_{k}": v for k, v in fake_metrics(m - 0.1).items() if k not in ("params", "gflops640")}
            append_row(args.results, {"model": model, "seed": seed, **settings(args), **fake_metrics(m),
                                            **test, "val_gain_last_tenth": 0.004})
            boot[(model, seed)] = fake_boot(m - 0.1)
    text = bench.report(read_rows(args.results), "t", boot)
    assert "| yolov8n | 2 | 3.00 | 8.00 | 45.0 ± 7.1 | 22.5 ± 3.5 | 55.0 ± 7.1 | 0.4 ± 0.0 |" in text
    assert "| sdgasnet-n − yolov8n | 2 | +3.0 [-22.4, +28.4] | [+1.0, +5.0] |" in text
    assert text.index("Test split, paired") < text.index("Val split")


def test_repeated_models_and_docs_without_report_are_rejected(capsys):
    for argv in (["--models", "yolov8n", "yolov8n"], ["--docs", "x.md"]):
        with pytest.raises(SystemExit):
            bench.parse_args(argv)
    err = capsys.readouterr().err
    assert "--models must not repeat a model" in err and "--docs goes with --report" in err


def test_report_mode_rewrites_the_docs_block_from_every_results_csv(tmp_path, capsys):
    args = args_for(tmp_path, "--seeds", "0")
    for model, m in (("yolov8n", 0.5), ("sdgasnet-n", 0.6)):
        append_row(tmp_path / "accuracy-a.csv", {"model": model, "seed": 0, **settings(args), **fake_metrics(m)})
    begin, end = markers("accuracy")
    doc = tmp_path / "b.md"
    doc.write_text(f"intro\n{begin}\nold\n{end}\n")
    bench.main(["--report", "--results", str(tmp_path / "accuracy-b.csv"), "--docs", str(doc)])
    out = capsys.readouterr().out
    assert "### accuracy-a (`benchmarks/results/accuracy-a.csv`)" in out
    assert "| sdgasnet-n − yolov8n | 1 | +10.0 (1 seed)" in out
    assert out.split("\n", 1)[1] in doc.read_text()  # after the 'rewrote ...' line, the very text of the block


@pytest.mark.slow
def test_tiny_run_trains_evaluates_on_val_and_test_and_resumes(tiny_data, tmp_path, capsys):
    argv = ["--data", str(tiny_data), "--epochs", "1", "--imgsz", "64", "--batch", "4", "--seeds", "0", "--models",
            "yolov8n", "--out", str(tmp_path / "runs"), "--results", str(tmp_path / "accuracy-t.csv")]
    bench.main(argv)
    (row,) = read_rows(tmp_path / "accuracy-t.csv")
    assert row["model"] == "yolov8n" and row["epochs"] == 1 and row["params"] > 3e6
    assert row["test_map50"] is not None and row["val_gain_last_tenth"] == 0.0  # one epoch: nothing after 90 %
    assert read_boot(tmp_path / "accuracy-t.csv")[("yolov8n", 0)]["map50"].shape == (200,)
    assert read_curves(tmp_path / "accuracy-t.csv")[("yolov8n", 0)].shape == (1,)  # one epoch, one point
    capsys.readouterr()
    bench.main(argv)
    assert "finished earlier, skipped" in capsys.readouterr().out


def test_every_comparison_is_reported_once():
    assert len(set(bench.COMPARISONS)) == len(bench.COMPARISONS)
    assert ("sdgas-r04-n", "sdgas-a5-cs-channel-n") in bench.COMPARISONS  # ladder step and leave-one-out alike
    assert ("sdgasnet-n", "sdgas-r04-n") in bench.COMPARISONS  # what 0.5 changed
