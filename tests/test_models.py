# sdgas-ultra, AGPL-3.0
"""Model YAMLs: every scale builds and runs; names select scales as yolov8n.yaml does."""

import pytest
import torch
from ultralytics import YOLO

import sdgas_ultra
from sdgas_ultra import SDGASModel
from sdgas_ultra.base.paths import CFG_DIR

sdgas_ultra.activate()


@pytest.mark.parametrize("scale", "nslmx")
def test_every_scale_builds_and_runs_forward(scale):
    model = YOLO(f"sdgasnet-{scale}.yaml").model.eval()
    assert model.yaml["scale"] == scale
    assert model.stride.tolist() == [8.0, 16.0, 32.0]
    with torch.inference_mode():
        y = model(torch.zeros(1, 3, 64, 96))
    assert y[0].shape == (1, 4 + model.yaml["nc"], (64 * 96) // 64 + (64 * 96) // 256 + (64 * 96) // 1024)


def test_scales_grow_in_size():
    params = [sum(p.numel() for p in YOLO(f"sdgasnet-{s}.yaml").model.parameters()) for s in "nsmlx"]
    assert params == sorted(params)


def test_bare_name_means_first_scale():
    assert YOLO("sdgasnet.yaml").model.yaml["scale"] == "n"


def test_yolo_routes_sdgasnet_to_sdgasmodel_and_leaves_stock_models_alone():
    assert type(YOLO("sdgasnet-n.yaml")) is SDGASModel
    assert type(YOLO("yolov8n.yaml")).__name__ == "YOLO"


def test_sdgasmodel_is_a_yolo_for_stock_yamls_too():
    model = SDGASModel("yolov8n.yaml")
    assert model.task == "detect" and isinstance(model, YOLO)


def test_grayscale_model_builds_with_one_input_channel():
    from ultralytics.nn.tasks import DetectionModel

    model = DetectionModel("sdgasnet-n.yaml", ch=1, nc=6, verbose=False).eval()
    with torch.inference_mode():
        assert model(torch.zeros(1, 1, 64, 64))[0].shape[1] == 10


def test_model_fuses_and_still_runs():
    model = YOLO("sdgasnet-n.yaml").model.eval()
    x = torch.rand(1, 3, 64, 64)
    with torch.inference_mode():
        before = model(x)[0]
        after = model.fuse()(x)[0]
    assert torch.allclose(before, after, atol=1e-3)


@pytest.mark.parametrize("name", sorted(p.name for p in (CFG_DIR / "models").rglob("*.yaml")))
def test_every_shipped_model_yaml_builds(name):
    """Each YAML builds and predicts (4 box + nc class rows) for every anchor of its strides on a 64x64 image."""
    model = YOLO(name).model.eval()
    anchors = sum(int(64 // s) ** 2 for s in model.stride.tolist())
    with torch.inference_mode():
        assert model(torch.zeros(1, 3, 64, 64))[0].shape == (1, 4 + model.yaml["nc"], anchors)


def test_r04_max_pools_in_mfa_and_its_ladder_step_before_it_averages():
    """sdgas-r04 = sdgas-a5-cs-channel with max-pooled MFA (issue #10): the one difference, same weights."""
    from sdgas_ultra.nn import FIGA

    full, step = (YOLO(name).model for name in ("sdgas-r04-n.yaml", "sdgas-a5-cs-channel-n.yaml"))
    (figa_full,), (figa_step,) = ([m for m in model.modules() if isinstance(m, FIGA)] for model in (full, step))
    assert (figa_full.align.down, figa_step.align.down) == ("max", "avg")
    assert [p.shape for p in full.parameters()] == [p.shape for p in step.parameters()]


def test_ladder_start_is_the_yolov8n_network():
    """sdgas-a0-pan-n builds yolov8n layer for layer (module types, tensor names and shapes): the ladder starts
    there."""
    from ultralytics.nn.tasks import DetectionModel

    a0, v8 = (DetectionModel(name, nc=6, verbose=False) for name in ("sdgas-a0-pan-n.yaml", "yolov8n.yaml"))
    assert [type(m).__name__ for m in a0.modules()] == [type(m).__name__ for m in v8.modules()]
    assert {k: v.shape for k, v in a0.state_dict().items()} == {k: v.shape for k, v in v8.state_dict().items()}


SDGASNET = CFG_DIR / "models" / "sdgasnet.yaml"


@pytest.mark.parametrize("path", sorted((CFG_DIR / "models" / "ablation").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_ablation_yaml_shares_sdgasnets_backbone_and_scales(path):
    """The ablation files change only their neck/head (and the control only its n width): the shared parts cannot
    drift from sdgasnet.yaml unseen."""
    import yaml

    ours, ref = (yaml.safe_load(p.read_text()) for p in (path, SDGASNET))
    if path.stem == "sdgas-c-yolov8-wide":
        ours["scales"] = {**ours["scales"], "n": ref["scales"]["n"]}
    differ = {key for key in ours.keys() | ref.keys() if ours.get(key) != ref.get(key)}
    assert differ <= {"head", "legacy"}, f"{path.name} differs from sdgasnet.yaml in {sorted(differ)}"


def module_names(name):
    return {type(m).__name__ for m in YOLO(name).model.modules()}


def test_leave_one_out_models_remove_exactly_their_module():
    """Issue #20's leave-one-out set of the 0.3-0.4 default: each file is sdgas-r04-n without one idea."""
    full = module_names("sdgas-r04-n.yaml")
    assert {"FIGA", "Allocate", "FGPEM", "CS"} <= full
    assert full - module_names("sdgas-o-no-figa-n.yaml") == {"FIGA", "Allocate", "MFA", "FGPEM", "DCTProjector"} & full
    assert full - module_names("sdgas-o-no-cs-n.yaml") == {"CS"}
    assert "FGPEM" not in module_names("sdgas-l3-no-fgpem-n.yaml")


def test_v8_head_variant_has_yolov8s_full_classification_branch():
    """(Detect.legacy is a class attribute that the last parsed model sets, so the branch itself is inspected.)"""
    from ultralytics.nn.modules import Conv

    v8, light = (YOLO(n).model.model[-1] for n in ("sdgas-o-v8-head-n.yaml", "sdgas-r04-n.yaml"))
    assert isinstance(v8.cv3[0][0], Conv) and v8.cv3[0][0].conv.groups == 1  # a full 3x3, not a depthwise one
    assert not isinstance(light.cv3[0][0], Conv)
    assert sum(p.numel() for p in v8.cv3.parameters()) > 2 * sum(p.numel() for p in light.cv3.parameters())


def test_width_control_has_at_least_sdgasnets_parameters_within_ten_percent():
    count = lambda n: sum(p.numel() for p in YOLO(n).model.parameters())  # noqa: E731
    wide, ours, v8 = count("sdgas-c-yolov8-wide-n.yaml"), count("sdgasnet-n.yaml"), count("yolov8n.yaml")
    assert v8 < ours <= wide <= 1.1 * ours


def shapes(model, skip=()):
    """Sorted parameter shapes of `model`, without those of the module types in `skip`."""
    drop = {id(p) for m in model.modules() if type(m).__name__ in skip for p in m.parameters()}
    return sorted(tuple(p.shape) for p in model.parameters() if id(p) not in drop)


def test_sdgasnet_without_figa_is_yolov8n_and_its_module_files_differ_by_one_module():
    """Issue #20 since 0.5: sdgasnet-n is yolov8n plus FIGA (gather with FGPEM, allocate), YOLOv8's head included;
    sdgas-s1-no-fgpem is it without FGPEM, the YOLOv8-head variant of sdgas-r04 is it with CS."""
    from ultralytics.nn.tasks import DetectionModel

    ours, v8 = (DetectionModel(name, nc=6, verbose=False) for name in ("sdgasnet-n.yaml", "yolov8n.yaml"))
    assert shapes(ours, skip=("FIGA", "Allocate")) == shapes(v8)
    assert "FGPEM" in module_names("sdgasnet-n.yaml") and "CS" not in module_names("sdgasnet-n.yaml")
    assert module_names("sdgasnet-n.yaml") - module_names("sdgas-s1-no-fgpem-n.yaml") >= {"FGPEM"}
    assert module_names("sdgas-o-v8-head-n.yaml") - module_names("sdgasnet-n.yaml") == {"CS"}
