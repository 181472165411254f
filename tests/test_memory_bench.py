# sdgas-ultra, AGPL-3.0
"""benchmarks.memory: a tiny training run per model in a fresh interpreter (slow), the verdict, the option checks."""

import pytest

from benchmarks import memory


def fake_measure(peaks):
    """measure() that reports the given peak RSS per model (MiB), 100 MiB after import, and records its calls."""
    calls = []

    def measure(model, data, project, args):
        calls.append((model, data))
        return {"peak": peaks[model] << 20, "after_import": 100 << 20}

    return measure, calls


@pytest.mark.parametrize("peak, code, verdict", [(260, 0, "1.30x (target <= 1.3x): OK"),
                                                 (270, 1, "1.35x (target <= 1.3x): OVER TARGET")])
def test_the_exit_code_and_verdict_follow_the_peak_ratio(peak, code, verdict, tmp_path, monkeypatch, capsys):
    measure, calls = fake_measure({"sdgasnet-n.yaml": peak, "yolov8n.yaml": 200})
    monkeypatch.setattr(memory, "measure", measure)
    assert memory.main(["--imgsz", "64", "--batch", "2", "--iters", "1", "--out", str(tmp_path)]) == code
    out = capsys.readouterr().out
    assert f"peak RSS ratio sdgasnet-n.yaml / yolov8n.yaml: {verdict}" in out
    assert f"ratio of memory added by training (peak - after import): {(peak - 100) / 100:.2f}x" in out
    assert [m for m, _ in calls] == ["sdgasnet-n.yaml", "yolov8n.yaml"]
    assert calls[0][1] == tmp_path / "synthetic-2-2" / "data.yaml" and calls[0][1].is_file()  # batch * iters images


def test_bad_options_exit_with_one_line_naming_them(capsys):
    with pytest.raises(SystemExit):
        memory.parse_args(["--iters", "0"])
    assert "--iters must be at least 1, got 0" in capsys.readouterr().err


@pytest.mark.slow
def test_tiny_training_run_measures_both_models_in_fresh_interpreters(tmp_path, capsys):
    code = memory.main(["--imgsz", "64", "--batch", "2", "--iters", "1", "--target", "10", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0 and "(target <= 10.0x): OK" in out
    rows = {line.split()[0]: [float(x) for x in line.split()[1:]] for line in out.splitlines()
            if line.startswith(("sdgasnet-n.yaml ", "yolov8n.yaml "))}
    assert set(rows) == {"sdgasnet-n.yaml", "yolov8n.yaml"}
    for peak, after_import, training in rows.values():
        assert peak > after_import > 100 and training == pytest.approx(peak - after_import, abs=1)
    assert (tmp_path / "runs" / "yolov8n.yaml" / "weights" / "last.pt").is_file()  # it trained
