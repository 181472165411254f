# sdgas-ultra, AGPL-3.0
"""Resume: a training run killed mid-epoch (SIGKILL) resumes with `yolo train resume model=.../last.pt`.

Ultralytics writes weights/last.pt and a results.csv row at the end of every epoch; a run killed during the next
epoch loses only that epoch. Resuming must reach the planned number of epochs with one results.csv row per epoch.
(Distillation resume is covered in tests/test_distill_train.py.)
"""

import csv
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch


pytestmark = pytest.mark.slow  # every test here trains

EPOCHS = 3
TRAIN = dict(imgsz=64, batch=4, workers=0, device="cpu", plots=False, seed=0, exist_ok=True)

# Trains sdgasnet-n and parks inside epoch 2 (after its first batch), so the test can SIGKILL it mid-epoch.
DRIVER = """
import json, sys, time
from pathlib import Path
from ultralytics import YOLO

project, data, kwargs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])

def park_in_second_epoch(trainer):
    if trainer.epoch == 1:
        Path(project, "parked").touch()
        time.sleep(600)

model = YOLO("sdgasnet-n.yaml")
model.add_callback("on_train_batch_end", park_in_second_epoch)
model.train(data=data, project=project, name="run", **kwargs)
"""


def yolo_cli():
    """The `yolo` console script of this interpreter's environment."""
    return str(Path(sys.executable).with_name("yolo"))


def rows(csv_path):
    with open(csv_path, newline="") as f:
        return list(csv.DictReader(f))


def start_and_kill_mid_epoch(project, data):
    """Run DRIVER until it parks in epoch 2, then SIGKILL it; returns the run directory."""
    kwargs = {**TRAIN, "epochs": EPOCHS}
    proc = subprocess.Popen(
        [sys.executable, "-c", DRIVER, str(project), str(data), json.dumps(kwargs)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 240
    try:
        while not (project / "parked").exists():
            if proc.poll() is not None:
                pytest.fail(f"training exited (rc {proc.returncode}) before epoch 2:\n{proc.stderr.read()[-3000:]}")
            if time.monotonic() > deadline:
                pytest.fail("training did not reach epoch 2 within 240 s")
            time.sleep(0.2)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return project / "run"


@pytest.fixture(scope="module")
def killed_run(tmp_path_factory, tiny_data):
    """(run directory, results.csv text at the kill) of a run killed during epoch 2 of 3."""
    run = start_and_kill_mid_epoch(tmp_path_factory.mktemp("resume"), tiny_data)
    return run, (run / "results.csv").read_text()


@pytest.fixture(scope="module")
def resumed_run(killed_run):
    """(run directory, completed process) after `yolo train resume model=<run>/weights/last.pt`."""
    run, _ = killed_run
    done = subprocess.run(
        [yolo_cli(), "train", "resume", f"model={run / 'weights' / 'last.pt'}"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return run, done


def test_kill_leaves_epoch_one_checkpoint_and_one_results_row(killed_run):
    run, csv_text = killed_run
    ckpt = torch.load(run / "weights" / "last.pt", map_location="cpu", weights_only=False)
    assert ckpt["epoch"] == 0 and ckpt["optimizer"] is not None  # a resumable checkpoint of epoch 1
    assert [r["epoch"].strip() for r in csv.DictReader(csv_text.splitlines())] == ["1"]


def test_resume_starts_at_the_killed_epoch(resumed_run):
    _, done = resumed_run
    assert "Resuming training" in done.stdout + done.stderr
    assert f"from epoch 2 to {EPOCHS} total epochs" in done.stdout + done.stderr


def test_resumed_run_reaches_the_planned_epochs(resumed_run):
    run, _ = resumed_run
    assert [int(r["epoch"]) for r in rows(run / "results.csv")] == list(range(1, EPOCHS + 1))
    ckpt = torch.load(run / "weights" / "last.pt", map_location="cpu", weights_only=False)
    assert ckpt["train_args"]["epochs"] == EPOCHS
    assert (run / "weights" / "best.pt").exists()


def test_results_csv_continues_the_killed_run(resumed_run, killed_run):
    run, before = killed_run
    after = (run / "results.csv").read_text()
    assert after.startswith(before)  # header and epoch-1 row kept byte for byte, nothing rewritten
    header = before.splitlines()[0]
    assert all(line.count(",") == header.count(",") for line in after.splitlines())
    losses = [float(r[k]) for r in rows(run / "results.csv") for k in r if k.startswith("train/")]
    assert losses and all(math.isfinite(v) for v in losses)
