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
from sdgas_ultra.base.errors import ModelYAMLError
from sdgas_ultra.base.paths import CFG_DIR
from sdgas_ultra.defaults import PLUGIN_CFG
from user_env import user_env

sdgas_ultra.activate()
BIN = Path(sys.executable).parent


def fails_shortly(cmd, cwd, **env):
    """Run a console script of this environment (with extra environment variables env); assert exit 1 and no
    traceback; return its stderr."""
    env = user_env(**env)
    done = subprocess.run([str(BIN / cmd[0]), *cmd[1:]], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Traceback" not in done.stdout + done.stderr
    fails_shortly.stdout = done.stdout
    return done.stderr


def one_error_line(err, prog="yolo"):
    """The single '<prog>: error: ...' line of stderr err (asserting there is exactly one, and it is the last)."""
    lines = [x for x in err.splitlines() if x.startswith(f"{prog}: error: ")]
    assert len(lines) == 1 and err.rstrip("\n").endswith(lines[0]), err
    return lines[0][len(f"{prog}: error: "):]


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
    assert err.startswith("yolo: error: ") and "teacher.pt" in err and len(err.splitlines()) == 1


def test_sdgas_command_prints_plugin_errors_shortly(tmp_path):
    import cv2
    import numpy as np

    image = tmp_path / "big.png"
    cv2.imwrite(str(image), np.zeros((64, 64, 3), np.uint8))
    err = fails_shortly(["sdgas", "predict-tiled", "sdgasnet-q.yaml", str(image)], tmp_path)
    assert err.startswith("sdgas predict-tiled: error: sdgasnet-q.yaml: unknown scale 'q'")


# --- issue #22: each bad input is one line, exit 1, and nothing is left behind ----------------------------------------
def train_fails(tmp_path, *args, **env):
    """`yolo train model=sdgasnet-n.yaml ... project=tmp_path/p` run in tmp_path: its one error line; asserts that
    nothing was written."""
    cmd = ["yolo", "train", "model=sdgasnet-n.yaml", f"data={tmp_path / 'never-read.yaml'}", *args,
           f"project={tmp_path / 'p'}"]
    before = sorted(os.listdir(tmp_path))
    message = one_error_line(fails_shortly(cmd, tmp_path, **env))
    assert sorted(os.listdir(tmp_path)) == before
    return message


SLOW_BAD_VALUES = [("sd_T=abc", "'sd_T=abc' is invalid: 'sd_T' must be a finite number > 0 or None"),
                   ("sd_T=0", "'sd_T=0' is invalid: 'sd_T' must be a finite number > 0 or None"),
                   ("sd_cls=-1", "'sd_cls=-1' is invalid: 'sd_cls' must be a finite number >= 0 or None"),
                   ("self_distill=yes", "'self_distill=yes' is invalid: 'self_distill' must be True or False"),
                   ("sd_mode=yolov7", "'sd_mode=yolov7' is invalid: 'sd_mode' must be 'enhanced' or 'yolov6'; did "
                                      "you mean 'yolov6'?"),
                   ("sd_fg=teachr", "'sd_fg=teachr' is invalid: 'sd_fg' must be True, False, 'all', 'teacher', "
                                    "'assigned' or 'none'; did you mean 'teacher'?")]


@pytest.mark.parametrize("arg, expected", [
    ("sd_T=nan", "'sd_T=nan' is invalid: 'sd_T' must be a finite number > 0 or None"),
    ("sd_kl=maybe", "'sd_kl=maybe' is invalid: 'sd_kl' must be True or False"),
    *[pytest.param(*row, marks=pytest.mark.slow) for row in SLOW_BAD_VALUES],
])
def test_a_bad_plugin_value_is_one_line_before_anything_is_written(arg, expected, tmp_path):
    assert train_fails(tmp_path, arg) == expected


def test_a_missing_distill_model_is_one_line_and_not_downloaded(tmp_path):
    message = train_fails(tmp_path, "distill_model=runs/teacher/best.pt")
    assert message == (f"'distill_model=runs/teacher/best.pt': no such file ({tmp_path / 'runs/teacher/best.pt'}); "
                       f"pass a trained checkpoint, e.g. runs/detect/train/weights/best.pt")


@pytest.mark.slow
def test_a_text_file_or_yaml_as_distill_model_is_one_line(tmp_path):
    (tmp_path / "teacher.pt").write_text("hello\n")
    assert "'distill_model=teacher.pt' is not a PyTorch checkpoint" in train_fails(tmp_path, "distill_model=teacher.pt")
    assert train_fails(tmp_path, "distill_model=sdgasnet-s.yaml").startswith(
        "'distill_model=sdgasnet-s.yaml' is a model YAML, not a trained checkpoint")


@pytest.mark.slow
def test_a_misspelt_teacher_yaml_is_one_line_with_the_closest_name(tmp_path):
    message = train_fails(tmp_path, "self_distill=True", "sd_teacher=sdgasnet-ss.yaml")
    assert message == ("'sd_teacher=sdgasnet-ss.yaml': sdgasnet-ss.yaml: no such model YAML; did you mean "
                       "sdgasnet-s.yaml?")


@pytest.mark.slow
def test_a_project_that_cannot_be_written_is_one_line(tmp_path):
    (tmp_path / "file").write_text("")
    cmd = ["yolo", "train", "model=sdgasnet-n.yaml", "data=never-read.yaml", f"project={tmp_path / 'file' / 'runs'}"]
    message = one_error_line(fails_shortly(cmd, tmp_path))
    assert message.startswith(f"'project={tmp_path / 'file' / 'runs'}' cannot be written (")
    assert os.listdir(tmp_path) == ["file"]


def test_a_ladder_name_before_0_3_1_says_the_new_name(tmp_path):
    message = one_error_line(fails_shortly(["yolo", "predict", "model=sdgas-a4-cs.yaml"], tmp_path))
    assert message == "sdgas-a4-cs.yaml: renamed sdgas-a4-fgpem.yaml in sdgas-ultra 0.3.1 (same network); use " \
                      "sdgas-a4-fgpem.yaml"
    assert os.listdir(tmp_path) == []


def test_a_disabled_plugin_says_so_for_its_model_names(tmp_path):
    err = fails_shortly(["yolo", "train", "model=sdgasnet-n.yaml"], tmp_path, SDGAS_ULTRA_DISABLE="1")
    assert one_error_line(err).startswith(
        "the sdgas-ultra plugin is disabled (SDGAS_ULTRA_DISABLE=1), so ultralytics does not know 'sdgasnet-n.yaml'")
    assert os.listdir(tmp_path) == []


def test_a_bad_plugin_row_is_one_line_after_at_most_one_scale_warning(tmp_path):
    path = tmp_path / "bad-ratio.yaml"
    text = (CFG_DIR / "models" / "sdgasnet.yaml").read_text()
    path.write_text(text.replace("  - [-1, 1, SPPF, [1024, 5]] # 9 P5 out", "  - [-1, 1, FGPEM, [abc]]"))
    err = fails_shortly(["yolo", "predict", f"model={path}"], tmp_path)
    assert one_error_line(err).startswith(f"{path}: backbone row 9 [-1, 1, 'FGPEM', ['abc']]: ")
    assert (err + fails_shortly.stdout).count("no model scale passed") <= 1
    assert os.listdir(tmp_path) == ["bad-ratio.yaml"]


@pytest.mark.parametrize("arg, why", [("--size=0", "must be a positive number of pixels, got 0"),
                                      ("--overlap=1", "must be a fraction in [0, 1), got 1")])
def test_tile_refuses_a_size_or_overlap_it_cannot_tile_with(arg, why, tmp_path, capsys):
    from sdgas_ultra.cli import main

    with pytest.raises(SystemExit) as e:
        main(["tile", str(tmp_path / "data.yaml"), str(tmp_path / "out"), arg])
    err = capsys.readouterr().err
    last = err.splitlines()[-1]  # argparse's frame around the reason is CPython's
    assert e.value.code == 2 and arg.split("=")[0] in last and last.endswith(f": {why}")
    assert os.listdir(tmp_path) == []
