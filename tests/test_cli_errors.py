# sdgas-ultra, AGPL-3.0
"""The plugin's own errors at the `yolo` and `sdgas` commands: one message on stderr, no traceback, exit status 1,
with the closest valid names for a misspelt layer, scale or `sd_` key. Python callers still get the exception."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

import sdgas_ultra
from sdgas_ultra._upstream import CFG_DIR, ModelYAMLError
from sdgas_ultra.defaults import PLUGIN_CFG

sdgas_ultra.activate()
BIN = Path(sys.executable).parent


def fails_shortly(cmd, cwd):
    """Run a console script of this environment; assert exit 1 and no traceback; return its stderr."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    done = subprocess.run([str(BIN / cmd[0]), *cmd[1:]], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Traceback" not in done.stdout + done.stderr
    return done.stderr


@pytest.fixture
def misspelt_yaml(tmp_path):
    """sdgasnet.yaml with its FIGA row misspelt as FGIA."""
    path = tmp_path / "misspelt.yaml"
    path.write_text((CFG_DIR / "models" / "sdgasnet.yaml").read_text().replace("FIGA", "FGIA"))
    return path


def test_misspelt_plugin_layer_names_the_layer_it_resembles(misspelt_yaml, tmp_path):
    err = fails_shortly(["yolo", "predict", f"model={misspelt_yaml}"], tmp_path)
    assert err.startswith(f"yolo: error: {misspelt_yaml}: head row 0 (layer 10)")
    assert "unknown module 'FGIA'" in err and err.strip().endswith("did you mean FIGA?")


def test_misspelt_plugin_layer_still_raises_for_python_callers(misspelt_yaml):
    from ultralytics import YOLO

    with pytest.raises(ModelYAMLError, match="did you mean FIGA"):
        YOLO(str(misspelt_yaml))


def test_unknown_scale_lists_the_valid_scales(tmp_path):
    scales = ", ".join(yaml.safe_load((CFG_DIR / "models" / "sdgasnet.yaml").read_text())["scales"])
    err = fails_shortly(["yolo", "predict", "model=sdgasnet-q.yaml"], tmp_path)
    expected = f"sdgasnet-q.yaml: unknown scale 'q'; sdgasnet.yaml has scales {scales} (e.g. sdgasnet-n.yaml)"
    assert err == f"yolo: error: {expected}\n"


def test_misspelt_sd_key_names_the_closest_keys(tmp_path):
    key = next(k for k in PLUGIN_CFG if k.startswith("sd_") and len(k) > 5)
    typo = key[:3] + key[4] + key[3] + key[5:]  # two letters swapped
    err = fails_shortly(["yolo", "train", "model=yolov8n.yaml", "data=coco8.yaml", f"{typo}=4"], tmp_path)
    assert err.startswith(f"yolo: error: '{typo}' is not a valid sdgas-ultra key; did you mean {key}")


def test_real_dataset_missing_offline_is_one_message(tmp_path):
    err = fails_shortly(["yolo", "val", "model=sdgasnet-n.yaml", "data=neu.yaml", "imgsz=64"], tmp_path)
    assert err.startswith("yolo: error: NEU-DET is not prepared") and err.count("NEU-DET is not prepared") == 1


@pytest.mark.slow  # starts a training run (stopped by the pairing check)
def test_teacher_that_does_not_pair_is_one_message(tiny_data, tmp_path):
    from ultralytics.nn.tasks import DetectionModel

    teacher = DetectionModel("yolov8n.yaml", ch=3, nc=2, verbose=False)  # tiny_data: 6 classes, 1 channel
    torch.save({"model": teacher, "train_args": {}}, tmp_path / "teacher.pt")
    err = fails_shortly(["yolo", "train", "model=sdgasnet-n.yaml", f"data={tiny_data}", "epochs=1", "imgsz=64",
                         "workers=0", "device=cpu", f"distill_model={tmp_path / 'teacher.pt'}",
                         f"project={tmp_path}"], tmp_path)
    assert err.startswith("yolo: error: ") and "teacher.pt" in err and len(err.splitlines()) <= 3


def test_sdgas_command_prints_plugin_errors_shortly(tmp_path):
    import cv2
    import numpy as np

    image = tmp_path / "big.png"
    cv2.imwrite(str(image), np.zeros((64, 64, 3), np.uint8))
    err = fails_shortly(["sdgas", "predict-tiled", "sdgasnet-q.yaml", str(image)], tmp_path)
    assert err.startswith("sdgas predict-tiled: error: sdgasnet-q.yaml: unknown scale 'q'")
