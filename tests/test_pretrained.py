# sdgas-ultra, AGPL-3.0
"""Fine-tuning from YOLOv8 weights: `pretrained=yolov8<s>.pt` transfers the whole backbone of every scale and leaves
the model's own Detect classification branch in place. Checkpoints are made here, never downloaded."""

import subprocess
import sys

import pytest
import torch
from ultralytics import YOLO
from ultralytics.nn.modules import Conv

from sdgas_ultra import SDGASModel

N_BACKBONE = 10  # rows 0-9 of sdgasnet.yaml, the same rows as yolov8.yaml's backbone


def backbone(model):
    """State-dict entries of layers 0-9 of a detection model."""
    return {k: v for k, v in model.state_dict().items() if int(k.split(".")[1]) < N_BACKBONE}


def assert_backbone_transferred(source, target):
    src, dst = backbone(source), backbone(target)
    assert src.keys() == dst.keys()
    # checkpoints store fp16: compare at that precision
    differing = [k for k in src if not torch.allclose(src[k].float(), dst[k].float(), rtol=1e-3, atol=1e-3)]
    assert not differing, f"not transferred: {differing[:5]}"


def randomise(model):
    """Give every float tensor random values, so a transfer is visible (init values like BN's 1s and 0s are not)."""
    with torch.no_grad():
        for v in model.state_dict().values():
            if v.is_floating_point():
                v.copy_(torch.randn_like(v))
    return model


@pytest.mark.parametrize("name", ["sdgasnet-n.yaml", "sdgas-r04-n.yaml"])
def test_yolov8n_checkpoint_transfers_the_whole_backbone_and_keeps_the_models_own_head(name, tmp_path):
    """sdgasnet-n has YOLOv8's head (since 0.5): it works as upstream. sdgas-r04-n keeps its light YOLO11-style
    branch where upstream would put YOLOv8's back. Either way the head still predicts the model's own classes."""
    source = YOLO("yolov8n.yaml")  # COCO-sized head (80 classes), as yolov8n.pt
    randomise(source.model)
    source.save(tmp_path / "yolov8n.pt")
    model = SDGASModel(name)
    light = not isinstance(model.model.model[-1].cv3[0][0], Conv)  # YOLOv8's branch starts with a full Conv
    model.load(tmp_path / "yolov8n.pt")
    assert_backbone_transferred(source.model, model.model)
    head = model.model.model[-1]
    assert (not isinstance(head.cv3[0][0], Conv)) == light == (name == "sdgas-r04-n.yaml")
    assert all(branch[-1].out_channels == head.nc == 6 for branch in head.cv3)


@pytest.mark.slow
@pytest.mark.parametrize("scale", "nslmx")
def test_every_scale_takes_the_backbone_of_the_matching_yolov8_scale(scale):
    source = randomise(YOLO(f"yolov8{scale}.yaml").model)
    model = SDGASModel(f"sdgasnet-{scale}.yaml")
    model.model.load(source)
    assert_backbone_transferred(source, model.model)


@pytest.mark.slow
def test_cli_fine_tune_from_yolov8n_reports_the_backbone_transfer(tmp_path, tiny_data):
    source = YOLO("yolov8n.yaml")
    source.save(tmp_path / "yolov8n.pt")
    cmd = ["yolo", "train", "model=sdgasnet-n.yaml", f"data={tiny_data}", f"pretrained={tmp_path / 'yolov8n.pt'}",
           "epochs=1", "imgsz=64", "batch=4", "workers=0", "plots=False", f"project={tmp_path}", "name=ft"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    n = len(backbone(SDGASModel("sdgasnet-n.yaml").model))  # every tensor of the student's layers 0-9
    assert f"{n}/{n} backbone tensors (layers 0-9) transferred" in out.stdout + out.stderr
