# sdgas-ultra, AGPL-3.0
"""benchmarks.export_speed: a tiny run end to end (imgsz 64, 2 rounds; exports two models), its timing of sessions
and its table."""

import numpy as np
import pytest

from benchmarks import export_speed


class FakeSession:
    """What time_sessions uses of an onnxruntime.InferenceSession: its input and run(), which records the feed."""

    class Input:
        name, shape = "images", [1, 3, 64, 64]

    def __init__(self):
        self.feeds = []

    def get_inputs(self):
        return [self.Input()]

    def run(self, outputs, feed):
        self.feeds.append(feed)


def test_sessions_are_timed_per_round_on_a_fixed_input_of_their_shape():
    sessions = {"a": FakeSession(), "b": FakeSession()}
    times = export_speed.time_sessions(sessions, imgsz=64, rounds=3, warmup=2)
    assert {k: len(t) for k, t in times.items()} == {"a": 3, "b": 3}
    feeds = sessions["a"].feeds
    assert len(feeds) == 5 and feeds[0]["images"].shape == (1, 3, 64, 64) and feeds[0]["images"].dtype == np.float32
    assert all(f["images"] is feeds[0]["images"] for f in feeds)


def test_table_gives_medians_quartiles_and_ratios_to_the_baseline():
    args = export_speed.parse_args(["--imgsz", "64", "--rounds", "4", "--models", "yolov8n", "sdgasnet-n"])
    times = {"yolov8n": [1.0, 2.0, 3.0, 4.0], "sdgasnet-n": [2.0, 4.0, 6.0, 8.0]}
    text = export_speed.table([("yolov8n", 3_150_000, 2**20 * 12), ("sdgasnet-n", 3_280_000, 2**20 * 13)], times, args)
    assert "batch 1, imgsz 64, nc 6, 4 interleaved rounds after 10 warm-up" in text
    assert ("| Model | Params (M) | ONNX (MB) | Median (ms) | IQR (ms) | vs yolov8n |\n"
            "|---|---:|---:|---:|---:|---:|") in text
    assert "| yolov8n | 3.15 | 12.0 | 2.50 | 1.75-3.25 | 1.00x |" in text
    assert "| sdgasnet-n | 3.28 | 13.0 | 5.00 | 3.50-6.50 | 2.00x |" in text


def test_a_baseline_outside_the_models_is_rejected(capsys):
    with pytest.raises(SystemExit):
        export_speed.parse_args(["--models", "sdgasnet-n", "--baseline", "yolov8n"])
    assert "--baseline yolov8n is not in --models" in capsys.readouterr().err


@pytest.mark.slow
def test_tiny_run_exports_times_and_tabulates_both_models(tmp_path, capsys):
    export_speed.main(["--imgsz", "64", "--rounds", "2", "--warmup", "1", "--models", "sdgasnet-n", "yolov8n",
                       "--workdir", str(tmp_path)])
    out = capsys.readouterr().out
    assert "imgsz 64, nc 6, 2 interleaved rounds after 1 warm-up" in out and "Target" not in out  # target: 640 only
    rows = {line.split(" | ")[0][2:]: line.split(" | ") for line in out.splitlines() if line.startswith("| ")}
    assert set(rows) == {"Model", "sdgasnet-n", "yolov8n"} and rows["yolov8n"][-1] == "1.00x |"
    for name in ("sdgasnet-n", "yolov8n"):
        assert (tmp_path / f"{name}.onnx").stat().st_size / 2**20 == pytest.approx(float(rows[name][2]), abs=0.05)
        assert float(rows[name][3]) > 0
