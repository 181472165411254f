# sdgas-ultra, AGPL-3.0
"""benchmarks/common: the results store, paired statistics, the interleaved timer, doc blocks, option checks."""

import argparse
import math
import random

import numpy as np
import pytest

from benchmarks.common import cli, results, stats, timing
from benchmarks.common.evaluation import bootstrap
from benchmarks.common.report import markers, md_table, write_docs


# --- results store -------------------------------------------------------------------------------------------------
def test_rows_round_trip_with_numbers_parsed_and_empty_cells_as_none(tmp_path):
    path = tmp_path / "r.csv"
    results.append_row(path, {"model": "a", "seed": 0, "epochs": 3, "fraction": 0.5, "map50": 0.25, "note": "x"})
    results.append_row(path, {"model": "b", "seed": 1, "epochs": 3, "fraction": 1.0, "map50_95": 0.125})
    a, b = results.read_rows(path)
    assert a == {"model": "a", "seed": 0, "epochs": 3, "fraction": 0.5, "map50": 0.25, "note": "x", "map50_95": None}
    assert b["map50"] is None and b["map50_95"] == 0.125 and b["note"] == ""
    assert results.read_rows(tmp_path / "absent.csv") == []


def test_a_new_class_column_keeps_earlier_rows(tmp_path):
    path = tmp_path / "r.csv"
    results.append_row(path, {"model": "a", "seed": 0, "map50": 0.1, "ap50:x": 0.2})
    results.append_row(path, {"model": "b", "seed": 0, "map50": 0.3, "ap50:y": 0.4})
    rows = results.read_rows(path)
    assert rows[0]["ap50:x"] == 0.2 and rows[0]["ap50:y"] is None and rows[1]["ap50:y"] == 0.4
    assert not path.with_suffix(".csv.tmp").exists()


def test_done_finds_a_run_and_stops_on_other_settings():
    rows = [{"model": "a", "seed": 0, "epochs": 5, "map50": 0.5}]
    assert results.done(rows, "a", 0, {"epochs": 5}) is rows[0] and results.done(rows, "a", 1, {"epochs": 5}) is None
    with pytest.raises(SystemExit, match="a seed 0 in the results CSV was trained with {'epochs': 5}, not"):
        results.done(rows, "a", 0, {"epochs": 10})


def test_bootstrap_replicates_round_trip_beside_the_results(tmp_path):
    res = tmp_path / "accuracy-x.csv"
    assert results.boot_path(res).name == "boot-x.csv" and results.boot_path(tmp_path / "distill-y.csv").name == \
        "boot-distill-y.csv"
    reps = {"map50": np.linspace(0.1, 0.3, stats.BOOT), "map50_95": np.full(stats.BOOT, 0.05)}
    results.append_row(results.boot_path(res), {"model": "a", "seed": 2, **results.boot_columns(reps)})
    boot = results.read_boot(res)
    assert list(boot) == [("a", 2)] and np.allclose(boot[("a", 2)]["map50"], reps["map50"], atol=5e-6)
    assert results.replicates(boot, "a", [1, 2])[2] is boot[("a", 2)]["map50"]
    assert results.replicates(boot, "a", [1]) == {} and results.read_boot(tmp_path / "accuracy-none.csv") == {}


# --- paired statistics ---------------------------------------------------------------------------------------------
def test_learning_curves_round_trip_beside_the_results(tmp_path):
    res = tmp_path / "accuracy-x.csv"
    assert results.curve_path(res).name == "curves-x.csv"
    assert results.curve_path(tmp_path / "distill-y.csv").name == "curves-distill-y.csv"
    assert results.read_curves(res) == {}
    results.append_row(results.curve_path(res), {"model": "a", "seed": 2, **results.curve_columns([0.1, 0.234567])})
    assert {k: v.tolist() for k, v in results.read_curves(res).items()} == {("a", 2): [0.1, 0.23457]}


def test_paired_interval_is_the_student_t_interval_of_the_per_seed_differences():
    # differences 0.02, 0.04, 0.06: mean 0.04, sample sd 0.02, t(0.975, 2) = 4.303 -> half-width 4.303 * 0.02 / sqrt 3
    mean, half, diffs = stats.paired({0: 0.52, 1: 0.54, 2: 0.56, 3: 0.9}, {0: 0.50, 1: 0.50, 2: 0.50})
    assert diffs == pytest.approx([0.02, 0.04, 0.06])
    assert mean == pytest.approx(0.04)
    assert half == pytest.approx(4.303 * 0.02 / math.sqrt(3), rel=1e-4)
    assert stats.fmt_paired(mean, half) == "+4.0 [-1.0, +9.0]" and stats.fmt_diffs(diffs) == "+2.0 +4.0 +6.0"


def test_one_common_seed_gives_no_interval_and_none_gives_nothing():
    mean, half, _ = stats.paired({0: 0.6}, {0: 0.5, 1: 0.4})
    assert half is None and stats.fmt_paired(mean, half) == "+10.0 (1 seed)"
    assert stats.paired({0: 0.6}, {1: 0.5}) == (None, None, []) and stats.fmt_paired(None, None) == "–"


def test_fmt_gives_mean_and_sample_std_in_points():
    assert stats.fmt([0.5, 0.6, None]) == "55.0 ± 7.1" and stats.fmt([0.5]) == "50.0" and stats.fmt([None]) == "–"
    assert stats.fmt_interval((0.01, 0.05)) == "[+1.0, +5.0]" and stats.fmt_interval(None) == "–"


def test_paired_bootstrap_of_a_constant_difference_is_that_difference():
    a = {s: np.linspace(0.4, 0.6, 50) + 0.03 for s in range(3)}
    b = {s: np.linspace(0.4, 0.6, 50) for s in range(3)}
    assert stats.paired_bootstrap(a, b) == pytest.approx((0.03, 0.03))
    assert stats.paired_bootstrap(a, {7: b[0]}) is None  # no common seed


def test_paired_bootstrap_widens_with_image_and_seed_variation():
    rng = np.random.default_rng(0)
    b = {s: np.full(200, 0.5) for s in range(3)}
    images = {s: 0.5 + 0.02 + rng.normal(0, 0.01, 200) for s in range(3)}  # image resampling noise only
    seeds = {s: images[s] + (0.02 * (s - 1)) for s in range(3)}  # plus a per-seed offset
    lo_i, hi_i = stats.paired_bootstrap(images, b)
    lo_s, hi_s = stats.paired_bootstrap(seeds, b)
    assert lo_i < 0.02 < hi_i and hi_s - lo_s > hi_i - lo_i


def test_bootstrap_replicates_share_the_image_resamples_across_runs():
    assert np.array_equal(stats.resamples(30), stats.resamples(30)) and stats.resamples(30).shape == (stats.BOOT, 30)
    one = {"tp": np.ones((1, 10), bool), "conf": np.array([0.9]), "pred_cls": np.array([0.0]),
           "target_cls": np.array([0.0])}
    miss = {"tp": np.zeros((1, 10), bool), "conf": np.array([0.9]), "pred_cls": np.array([0.0]),
            "target_cls": np.array([0.0])}
    reps = bootstrap([one] * 10 + [miss] * 10)["map50"]
    assert 0 < reps.min() < reps.max() < 1  # image resamples change the mAP
    assert bootstrap([one] * 5)["map50"] == pytest.approx(np.ones(stats.BOOT), abs=0.01)  # all hits: mAP ~1 always


# --- interleaved timer ---------------------------------------------------------------------------------------------
def test_timer_calls_each_once_per_round_in_a_seeded_shuffled_order_after_warmup():
    calls = []
    fns = {k: (lambda k=k: calls.append(k)) for k in "abcd"}
    times = timing.interleaved(fns, rounds=6, warmup=2, seed=3)
    assert calls[:8] == list("aabbccdd")  # warm-up: each candidate in turn
    rounds = [calls[8 + 4 * r: 12 + 4 * r] for r in range(6)]
    assert all(sorted(r) == list("abcd") for r in rounds) and len({"".join(r) for r in rounds}) > 1
    order, rng = list("abcd"), random.Random(3)  # the policy: one list, shuffled anew in place each round
    expected = [(rng.shuffle(order), list(order))[1] for _ in range(6)]
    assert rounds == expected
    assert set(times) == set("abcd") and all(len(t) == 6 and min(t) >= 0 for t in times.values())
    timing.interleaved(fns, rounds=6, warmup=2, seed=3)
    assert calls[32:] == calls[:32]  # the same seed gives the same order


def test_timer_syncs_around_every_timed_call():
    events = []
    timing.interleaved({"a": lambda: events.append("call")}, rounds=2, warmup=1, sync=lambda: events.append("sync"))
    assert events == ["call", "sync"] + ["sync", "call", "sync"] * 2


# --- report text, option checks ------------------------------------------------------------------------------------
def test_md_table_aligns_columns_as_asked():
    assert md_table(["a", "b"], [[1, "x"]]) == ["| a | b |", "|---|---|", "| 1 | x |"]
    assert md_table(["a", "b"], [], align="lr")[1] == "|---|---:|"


def test_docs_block_is_rewritten_between_the_markers_only(tmp_path):
    begin, end = markers("accuracy")
    assert (begin, end) == ("<!-- accuracy:begin -->", "<!-- accuracy:end -->")
    doc = tmp_path / "b.md"
    doc.write_text(f"intro\n{begin}\nold\n{end}\noutro\n")
    write_docs(doc, "new table", "accuracy")
    assert doc.read_text() == f"intro\n{begin}\n\nnew table\n{end}\noutro\n"
    doc.write_text("no markers")
    with pytest.raises(SystemExit, match="b.md: no '<!-- distill:begin -->'"):
        write_docs(doc, "x", "distill")
    assert doc.read_text() == "no markers"


def test_at_least_names_the_option_and_its_lowest_value(capsys):
    p = cli.parser("Doc line.\nmore", "speed")
    p.add_argument("--big-runs", type=int)
    cli.at_least(p, p.parse_args(["--big-runs", "1"]), {"big_runs": 1})
    with pytest.raises(SystemExit):
        cli.at_least(p, p.parse_args(["--big-runs", "0"]), {"big_runs": 1})
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m benchmarks.speed") and "--big-runs must be at least 1, got 0" in err
    assert isinstance(p, argparse.ArgumentParser) and p.description == "Doc line."


def test_tradeoff_plot_draws_models_with_test_rows_and_latency(tmp_path):
    from benchmarks.common.plot import plot_tradeoff
    from benchmarks.common.results import append_row, write_rows

    results, speed, png = tmp_path / "accuracy-x.csv", tmp_path / "speed.csv", tmp_path / "p.png"
    for seed, (a, b) in enumerate(((0.50, 0.55), (0.52, 0.58))):
        append_row(results, {"model": "yolov8n", "seed": seed, "test_map50": a})
        append_row(results, {"model": "sdgasnet-n", "seed": seed, "test_map50": b})
    append_row(results, {"model": "yolo11n", "seed": 0, "map50": 0.4})  # val only: not drawn
    assert plot_tradeoff(results, speed, png) == 0 and not png.exists()  # no latency yet: no picture
    write_rows(speed, [{"model": m, "latency_ratio": r, "reference": "yolov8n", "imgsz": 640, "threads": 2}
                       for m, r in (("yolov8n", 1.0), ("sdgasnet-n", 1.02), ("yolo11n", 1.1))])
    assert plot_tradeoff(results, speed, png) == 2 and png.stat().st_size > 1000


def test_speed_csv_rows_give_latency_ratios_to_yolov8n():
    import argparse

    import torch

    from benchmarks import speed

    models = {"yolov8n": torch.nn.Linear(2, 2), "other": torch.nn.Linear(2, 3)}
    args = argparse.Namespace(imgsz=64, nc=6, threads=1, runs=3)
    rows = speed.csv_rows(models, {"yolov8n": [2.0, 2.0, 4.0], "other": [3.0, 3.0, 1.0]}, args)
    assert [(r["model"], r["latency_ratio"], r["params"]) for r in rows] == [("yolov8n", 1.0, 6), ("other", 1.5, 9)]
