# sdgas-ultra, AGPL-3.0
"""Each patch (sdgas_ultra/_upstream/patches.py), adapter (distill.py) and restated rule (scale.py) of ultralytics,
checked against the installed ultralytics."""

from copy import deepcopy
from types import SimpleNamespace

import pytest
import torch

import sdgas_ultra
from sdgas_ultra import _upstream
from sdgas_ultra._upstream import distill, guard, patches
from sdgas_ultra.base.errors import ModelYAMLError, UnknownKeyError
from sdgas_ultra.base.paths import CFG_DIR
from sdgas_ultra.defaults import PLUGIN_CFG

sdgas_ultra.activate()
pytestmark = pytest.mark.upstream  # each patch, checked against the installed ultralytics (.ci/compat.sh)
SD_KEYS = [k for k in PLUGIN_CFG if k.startswith("sd_")]


def test_check_version_accepts_the_supported_range_and_names_versions_otherwise():
    _upstream.check_version()  # the installed one
    _upstream.check_version("8.4.190")
    _upstream.check_version("8.4.177")
    for bad in ("8.4.176", "8.3.200", "8.5.0", "9.0.1"):
        with pytest.raises(ImportError, match=rf"ultralytics {bad} is installed.*ultralytics>=8\.4\.177,<8\.5\.0"):
            _upstream.check_version(bad)


def test_check_dict_alignment_accepts_plugin_keys_without_adding_them_to_the_defaults():
    from ultralytics import utils
    from ultralytics.cfg import get_cfg

    for k, v in PLUGIN_CFG.items():
        assert k not in utils.DEFAULT_CFG_DICT and not hasattr(utils.DEFAULT_CFG, k)
        assert getattr(get_cfg(overrides={k: v}), k) == v
    assert not any(k in vars(get_cfg()) for k in PLUGIN_CFG)  # a stock config has none of them


def test_check_dict_alignment_still_refuses_unknown_stock_keys():
    from ultralytics.cfg import get_cfg

    with pytest.raises(SyntaxError, match="is not a valid YOLO argument") as e:  # older releases colour the key
        get_cfg(overrides={"epoch": 3})
    assert "epoch" in str(e.value) and not isinstance(e.value, UnknownKeyError)


def test_misspelt_sd_key_names_the_closest_plugin_keys():
    from ultralytics.cfg import get_cfg

    key = SD_KEYS[-1][:-1] + "x"  # last letter changed: the key itself must come first
    with pytest.raises(UnknownKeyError) as e:
        get_cfg(overrides={key: 1})
    msg = str(e.value)
    assert f"'{key}' is not a valid sdgas-ultra key; did you mean {SD_KEYS[-1]}" in msg
    assert all(k in msg for k in SD_KEYS)  # the valid keys are listed


def test_entrypoint_prints_plugin_errors_in_one_line_and_exits_1(capsys):
    def failing(debug=""):
        raise RuntimeError("Dataset error") from ModelYAMLError("x.yaml: head row 0: unknown module 'FGIA'")

    wrapper = patches.entrypoint(failing)
    with pytest.raises(SystemExit) as e:
        wrapper()
    assert e.value.code == 1
    assert capsys.readouterr().err == "yolo: error: x.yaml: head row 0: unknown module 'FGIA'\n"


def test_entrypoint_shortens_value_errors_raised_by_plugin_code(capsys):
    from sdgas_ultra.nn import CS

    def failing(debug=""):
        CS.parse([24, 16], ["channel"], None)  # raises ValueError in sdgas_ultra/nn/cs.py

    with pytest.raises(SystemExit):
        patches.entrypoint(failing)()
    err = capsys.readouterr().err
    assert err.startswith("yolo: error: ") and "equal width" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("error", [KeyError("not ours"), ValueError("raised outside the plugin")])
def test_entrypoint_leaves_other_errors_to_ultralytics(error):
    def failing(debug=""):
        raise error

    with pytest.raises(type(error), match=str(error.args[0])):
        patches.entrypoint(failing)()


def test_yolo_console_script_gets_the_patched_entrypoint():
    from ultralytics import cfg

    assert cfg.entrypoint.sdgas_original.__module__ == "ultralytics.cfg"


def test_check_file_finds_plugin_yamls_by_bare_name():
    from ultralytics.data import utils as data_utils
    from ultralytics.utils import checks

    assert checks.check_file("sdgasnet.yaml") == str(CFG_DIR / "models" / "sdgasnet.yaml")
    assert checks.check_yaml("sdgasnet.yaml") == str(CFG_DIR / "models" / "sdgasnet.yaml")
    assert data_utils.check_file is checks.check_file


def test_check_file_leaves_other_names_to_ultralytics(tmp_path, monkeypatch):
    from ultralytics.utils import checks

    assert checks.check_yaml("yolov8.yaml").endswith("cfg/models/v8/yolov8.yaml")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sdgasnet.yaml").write_text("nc: 1\n")  # a user's own file of the same name wins
    assert checks.check_file("sdgasnet.yaml") == "sdgasnet.yaml"


def test_yaml_model_load_reads_scale_from_plugin_names():
    from ultralytics.engine import model as engine_model
    from ultralytics.nn import tasks

    d = tasks.yaml_model_load("sdgasnet-s.yaml")
    assert d["scale"] == "s" and d["yaml_file"] == "sdgasnet-s.yaml" and "FIGA" in str(d["head"])
    assert tasks.yaml_model_load("yolov8m.yaml")["scale"] == "m"
    assert engine_model.yaml_model_load is tasks.yaml_model_load


def test_a_local_copy_named_with_a_scale_builds_that_scale_as_upstream_does(tmp_path, monkeypatch):
    """A user's own sdgasnet-s.yaml (a copy of the shipped file) is scale s, as a local yolov8s.yaml is for upstream;
    a copy of a stock YAML keeps upstream's rule (first scale)."""
    from ultralytics import YOLO
    from ultralytics.nn import tasks

    monkeypatch.chdir(tmp_path)
    (tmp_path / "sdgasnet-s.yaml").write_text((CFG_DIR / "models" / "sdgasnet.yaml").read_text())
    assert tasks.yaml_model_load("sdgasnet-s.yaml")["scale"] == "s"
    assert tasks.yaml_model_load(str(tmp_path / "sdgasnet-s.yaml"))["scale"] == "s"
    local = sum(p.numel() for p in YOLO(str(tmp_path / "sdgasnet-s.yaml")).model.parameters())
    shipped = sum(p.numel() for p in YOLO(str(CFG_DIR / "models" / "sdgasnet.yaml")).model.parameters())  # n
    assert local > 3 * shipped
    (tmp_path / "mine-s.yaml").write_text("nc: 1\nscales: {n: [0.33, 0.25, 1024], s: [0.33, 0.5, 1024]}\n"
                                          "backbone: [[-1, 1, Conv, [64, 3, 2]]]\nhead: [[-1, 1, Detect, [nc]]]\n")
    assert not tasks.yaml_model_load("mine-s.yaml")["scale"]


def test_plugin_models_warn_of_a_missing_scale_once_and_print_resolved_args():
    """A plugin YAML without a scale: one 'no model scale passed' warning (not one per stock row), and the summary
    shows each stock row's arguments as upstream resolves them (Detect: nc, reg_max, end2end, input channels)."""
    import logging

    from ultralytics.nn import tasks
    from ultralytics.utils import LOGGER

    d = tasks.yaml_model_load(str(CFG_DIR / "models" / "sdgasnet.yaml"))
    d.pop("scale", None)
    seen = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())
    LOGGER.addHandler(handler)
    try:
        tasks.parse_model(d, ch=3, verbose=True)
    finally:
        LOGGER.removeHandler(handler)
    assert sum("no model scale passed" in m for m in seen) == 1
    detect = next(m for m in seen if "ultralytics.nn.modules.head.Detect" in m)
    args = detect.split("Detect", 1)[1].strip()
    assert args.startswith("[6, ") and args.endswith(", [64, 128, 256]]")  # not the YAML's ['nc']


def test_unknown_scale_lists_the_valid_scales():
    from ultralytics.nn import tasks

    with pytest.raises(ModelYAMLError, match=r"sdgasnet-q.yaml: unknown scale 'q'; .*sdgasnet.yaml has scales n, s, m"):
        tasks.yaml_model_load("sdgasnet-q.yaml")


def test_parse_model_leaves_stock_models_to_ultralytics():
    from ultralytics.nn import tasks

    d = tasks.yaml_model_load("yolov8n.yaml")
    ours, save = tasks.parse_model(deepcopy(d), ch=3, verbose=False)
    theirs, save0 = tasks.parse_model.sdgas_original(deepcopy(d), ch=3, verbose=False)
    assert save == save0 and [type(m) for m in ours] == [type(m) for m in theirs]


def test_parse_model_skips_plugin_row_checks_on_stock_yamls():
    """A repeat count of 0 is refused by the plugin's checks, but a stock YAML goes to upstream's parser unchecked."""
    from ultralytics.nn import tasks

    d = tasks.yaml_model_load("yolov8n.yaml")
    d["backbone"][0] = [-1, 0, "Conv", [64, 3, 2]]  # upstream builds it (n is max(round(0 * depth), 1))
    seq, _ = tasks.parse_model(deepcopy(d), ch=3, verbose=False)
    assert type(seq[0]).__name__ == "Conv"


def test_row_by_row_build_matches_ultralytics_channel_rules():
    """The Index/BatchNorm2d probe reproduces upstream's channels and scaling for every stock row of yolov8s."""
    from ultralytics.nn import tasks

    from sdgas_ultra.nn import LAYERS

    d = tasks.yaml_model_load("yolov8s.yaml")
    rows = d["backbone"] + d["head"]
    ours, save = _upstream.parse_with_plugins(
        deepcopy(d), 3, False, deepcopy(rows), LAYERS, tasks.parse_model.sdgas_original
    )
    theirs, save0 = tasks.parse_model.sdgas_original(deepcopy(d), ch=3, verbose=False)
    assert save == save0
    for a, b in zip(ours, theirs):
        assert (a.i, a.f, a.type, a.np) == (b.i, b.f, b.type, b.np)


@pytest.mark.parametrize("yaml", ["yolov8.yaml", "yolo11.yaml", "sdgasnet.yaml"])
def test_plugin_scale_rule_matches_parse_model_at_each_scale_of(yaml):
    """scale.Scale against channels and repeats of stock rows that ultralytics' parser builds at each scale."""
    from ultralytics.nn import tasks

    scales = tasks.yaml_model_load(CFG_DIR / "models" / yaml if yaml.startswith("sdgas") else yaml)["scales"]
    assert len(scales) >= 3 and guard.parse_model_scaling_rule(tuple(scales.values())) is None


def test_stock_row_build_uses_upstream_index_and_batchnorm_rules():
    from ultralytics.nn import tasks

    d = tasks.yaml_model_load("yolov8n.yaml")
    layer, c2, args = _upstream.build_stock_row(d, -1, 3, "C2f", [256, True], [32], tasks.parse_model.sdgas_original)
    assert type(layer).__name__ == "C2f" and c2 == 64 and args == "[32, 64, 1, True]"  # 256 * width 0.25, n 3 * 0.33
    layer, c2, _ = _upstream.build_stock_row(d, [-1, 4], 1, "Concat", [1], [48, 40], tasks.parse_model.sdgas_original)
    assert type(layer).__name__ == "Concat" and c2 == 88


def test_torch_safe_load_registers_plugin_layers_as_safe_globals(tmp_path):
    from ultralytics.nn import tasks

    from sdgas_ultra.nn import LAYERS

    path = tmp_path / "w.pt"
    torch.save({"model": None}, path)
    tasks.torch_safe_load(str(path))
    assert set(LAYERS.values()) <= set(torch.serialization.get_safe_globals())


def test_YOLO_init_routes_only_models_with_plugin_layers():
    from ultralytics import YOLO

    from sdgas_ultra import SDGASModel

    assert type(YOLO("sdgasnet-n.yaml")) is SDGASModel
    assert type(YOLO("yolov8n.yaml")) is YOLO


def test_YOLO_train_routes_sd_keys_to_sdgasmodel(monkeypatch):
    from ultralytics import YOLO

    from sdgas_ultra import SDGASModel

    seen = {}
    monkeypatch.setattr(SDGASModel, "train", lambda self, trainer=None, **kw: seen.update(kw, cls=type(self)))
    model = YOLO("yolov8n.yaml")
    model.train(data="x.yaml", sd_dfl=3.0)
    assert seen == {"data": "x.yaml", "sd_dfl": 3.0, "cls": SDGASModel}


def test_YOLO_train_leaves_plain_training_to_ultralytics(tmp_path):
    from ultralytics import YOLO

    model = YOLO("yolov8n.yaml")
    torch.save({}, tmp_path / "t.pt")  # a file that passes the checkpoint check; never loaded
    with pytest.raises(RuntimeError, match="missing.yaml"):  # the stock path runs, failing fast on the dataset
        model.train(data=str(tmp_path / "missing.yaml"), distill_model=str(tmp_path / "t.pt"), project=str(tmp_path))
    assert type(model) is YOLO


def test_distillation_trainers_start_from_stock_defaults_plus_plugin_keys():
    from ultralytics.utils import DEFAULT_CFG_DICT

    assert vars(_upstream.DEFAULT_CFG) == {**DEFAULT_CFG_DICT, **PLUGIN_CFG}


def _run_args(trainer_cls, tiny_data, tmp_path, **overrides):
    """args.yaml as a trainer writes it at start-up (checkpoints store the same vars(trainer.args) as train_args)."""
    from ultralytics.utils import YAML

    args = dict(data=str(tiny_data), epochs=1, imgsz=64, device="cpu", project=str(tmp_path), exist_ok=True)
    trainer = trainer_cls(overrides={**args, **overrides})
    saved = YAML.load(trainer.save_dir / "args.yaml")
    assert saved.keys() == vars(trainer.args).keys()
    return saved


def test_stock_run_args_carry_no_plugin_keys(tiny_data, tmp_path):
    from ultralytics.models.yolo.detect import DetectionTrainer

    saved = _run_args(DetectionTrainer, tiny_data, tmp_path, model="yolov8n.yaml", name="stock")
    assert saved["model"] == "yolov8n.yaml" and not set(saved) & set(PLUGIN_CFG)


def test_sdgasnet_run_args_carry_the_plugin_defaults_and_given_keys(tiny_data, tmp_path):
    from sdgas_ultra.distill.trainer import SDGASTrainer

    saved = _run_args(SDGASTrainer, tiny_data, tmp_path, model="sdgasnet-n.yaml", name="sd", sd_dfl=0.5)
    assert {k: saved[k] for k in PLUGIN_CFG} == {**PLUGIN_CFG, "sd_dfl": 0.5}


def test_torch_floor_in_pyproject_has_every_torch_api_the_seam_calls():
    """torch.serialization.add_safe_globals (torch_safe_load patch) exists since torch 2.4."""
    import re
    from pathlib import Path

    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    floor = tuple(int(x) for x in re.search(r'"torch>=([\d.]+)', pyproject).group(1).split("."))
    assert floor >= (2, 4) and callable(torch.serialization.add_safe_globals)


@pytest.mark.parametrize("plugin_run", [True, False], ids=["sdgasnet-run", "stock-run"])
def test_strip_optimizer_keeps_plugin_keys_of_plugin_runs_only(tmp_path, plugin_run):
    from ultralytics.engine import trainer
    from ultralytics.utils import torch_utils

    args = {"epochs": 3, "not_a_key": 1, **({"sd_dfl": 0.5} if plugin_run else {})}
    torch.save({"model": torch.nn.Linear(1, 1), "train_args": args, "optimizer": {}}, tmp_path / "last.pt")
    assert trainer.strip_optimizer is torch_utils.strip_optimizer
    trainer.strip_optimizer(tmp_path / "last.pt")
    kept = torch.load(tmp_path / "last.pt", weights_only=False)["train_args"]
    assert kept["epochs"] == 3 and "not_a_key" not in kept and kept["imgsz"] == 640  # upstream's stripping
    assert {k: kept[k] for k in PLUGIN_CFG if k in kept} == ({"sd_dfl": 0.5} if plugin_run else {})


# --- distillation adapters (sdgas_ultra/_upstream/distill.py) -------------------------------------------------------
def yolov8n(**changes):
    """A 2-class yolov8n DetectionModel with the default training config, which its criterion reads."""
    from ultralytics.cfg import get_cfg
    from ultralytics.nn.tasks import DetectionModel, yaml_model_load

    model = DetectionModel({**yaml_model_load("yolov8n.yaml"), **changes}, nc=2, verbose=False)
    model.args = get_cfg()
    return model


def labelled_images():
    """Two 64x64 images with three labelled boxes (normalised xywh), as a training batch."""
    boxes = [[0.5, 0.5, 0.4, 0.4], [0.3, 0.3, 0.2, 0.3], [0.7, 0.6, 0.3, 0.2]]
    return {
        "img": torch.rand(2, 3, 64, 64),
        "batch_idx": torch.tensor([0.0, 1.0, 1.0]),
        "cls": torch.tensor([[0.0], [1.0], [0.0]]),
        "bboxes": torch.tensor(boxes),
    }


def test_split_detect_output_reads_detects_train_eval_and_end2end_outputs():
    model, x = yolov8n(), torch.rand(2, 3, 64, 64)
    cls, box = distill.split_detect_output(model.train()(x))
    assert cls.shape == (2, 84, 2) and box.shape == (2, 84, 64)  # 8x8 + 4x4 + 2x2 anchors; 4 sides x 16 bins
    e_cls, e_box = distill.split_detect_output(model.eval()(x))
    assert e_cls.shape == cls.shape and e_box.shape == box.shape
    raw = yolov8n(end2end=True).train()(x)
    assert raw.keys() == {"one2many", "one2one"}
    o_cls, o_box = distill.split_detect_output(raw)
    assert torch.equal(o_cls, raw["one2many"]["scores"].transpose(1, 2)) and o_box.shape == box.shape


def test_detect_head_is_the_models_detect_layer():
    model = yolov8n()
    assert distill.detect_head(model) is model.model[-1] and distill.detect_head(model).reg_max == 16
    with pytest.raises(TypeError, match="no Detect head"):
        distill.detect_head(SimpleNamespace(model=[torch.nn.Identity()]))


def test_loss_with_foreground_gives_what_v8DetectionLoss_gives_plus_the_mask():
    """The adapter re-runs v8DetectionLoss.loss from its parts: if upstream's loss changes, the totals differ here."""
    model, batch = yolov8n().train(), labelled_images()
    preds, criterion = model(batch["img"]), model.init_criterion()
    loss, items, fg = distill.loss_with_foreground(criterion, preds, batch)
    ref_loss, ref_items = criterion(preds, batch)
    assert torch.allclose(loss, ref_loss) and items.keys() == ref_items.keys()
    assert fg.shape == (2, 84) and fg.dtype == torch.bool and fg.any()
    assert distill.loss_with_foreground(lambda p, b: (ref_loss, ref_items), preds, batch)[2] is None  # other criteria


def test_install_criterion_installs_what_model_loss_calls():
    model, calls = yolov8n().train(), []

    def wrap(base):
        return lambda preds, batch: calls.append(1) or base(preds, batch)

    installed = distill.install_criterion(model, wrap)
    model.loss(labelled_images())
    assert model.criterion is installed and calls == [1]


def test_hide_distill_model_hides_it_and_restores_it_after_an_error():
    trainer = SimpleNamespace(args=SimpleNamespace(distill_model="t.pt"))
    with pytest.raises(RuntimeError), distill.hide_distill_model(trainer):
        assert trainer.args.distill_model is None
        raise RuntimeError
    assert trainer.args.distill_model == "t.pt"


def test_unwrap_student_unwraps_the_builtin_distillation_wrapper():
    from ultralytics.cfg import get_cfg
    from ultralytics.nn.distill_model import DistillationModel

    student = yolov8n()
    student.args = get_cfg(overrides={"imgsz": 64})
    wrapped = DistillationModel(teacher_model=yolov8n(), student_model=student)
    assert distill.unwrap_student(wrapped) is student and distill.unwrap_student(student) is student


def test_progress_header_is_the_stock_trainers_with_sd_columns_shortened(tiny_data, tmp_path):
    """Pinned to upstream's format (11-wide right-aligned columns): a change of it upstream fails here."""
    from ultralytics.models.yolo.detect import DetectionTrainer

    args = dict(data=str(tiny_data), model="yolov8n.yaml", imgsz=64, device="cpu", project=str(tmp_path))
    stock = DetectionTrainer(overrides=args)
    stock.loss_names = names = ("box_loss", "cls_loss", "dfl_loss")
    columns = ("Epoch", "GPU_mem", *names, "Instances", "Size")
    pinned = "\n" + "".join(f"{c:>{distill.COLUMN}}" for c in columns)
    assert stock.progress_string() == distill.progress_header(names) == pinned
    sd = distill.progress_header((*names, "sd_cls_loss", "sd_dfl_loss")).split()
    assert sd == ["Epoch", "GPU_mem", *names, "sd_cls", "sd_dfl", "Instances", "Size"]
