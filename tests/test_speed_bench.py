# sdgas-ultra, AGPL-3.0
"""benchmarks.speed: a tiny run end to end (imgsz 64, 2 rounds, 2 models) and its option checks."""

import pytest

from benchmarks import speed


def test_tiny_run_prints_one_row_per_model_with_ratios_to_yolov8n(capsys):
    speed.main(["--imgsz", "64", "--runs", "2", "--models", "sdgasnet-n.yaml", "yolov8n.yaml"])
    out = capsys.readouterr().out
    assert "imgsz 64, batch 1, nc 80, median of 2 interleaved runs" in out
    assert "| model | params (M) | GFLOPs (thop, full size) | GFLOPs (ultralytics summary) | latency (ms) |" in out
    rows = {line.split(" | ")[0][2:]: line.split(" | ") for line in out.splitlines() if line.startswith("| ")}
    assert set(rows) == {"model", "sdgasnet-n", "yolov8n"}
    v8, sd = rows["yolov8n"], rows["sdgasnet-n"]
    assert v8[5:8] == ["1.00x", "1.00x [1.00, 1.00]", "1.00x |"]  # the reference against itself
    assert float(sd[1]) > 3.0 and float(sd[2]) > 0 and float(sd[4]) > 0  # params (M), thop GFLOPs, latency
    assert sd[7] == f"{float(sd[1]) / float(v8[1]):.2f}x |"  # params ratio from the printed params, to rounding


@pytest.mark.parametrize("argv, message", [(["--runs", "1"], "--runs must be at least 2, got 1"),
                                           (["--imgsz", "16"], "--imgsz must be at least 32, got 16")])
def test_bad_options_exit_with_one_line_naming_them(argv, message, capsys):
    with pytest.raises(SystemExit):
        speed.parse_args(argv)
    assert message in capsys.readouterr().err
