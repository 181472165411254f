# sdgas-ultra, AGPL-3.0
"""Each touch of ultralytics internals in sdgas_ultra/_upstream.py, checked against the installed ultralytics."""

from copy import deepcopy

import pytest
import torch

import sdgas_ultra
from sdgas_ultra import _upstream
from sdgas_ultra._upstream import CFG_DIR

sdgas_ultra.activate()


def test_check_version_accepts_the_supported_range_and_names_versions_otherwise():
    _upstream.check_version()  # the installed one
    _upstream.check_version("8.4.190")
    _upstream.check_version("8.4.177")
    for bad in ("8.4.176", "8.3.200", "8.5.0", "9.0.1"):
        with pytest.raises(ImportError, match=rf"ultralytics {bad} is installed.*ultralytics>=8\.4\.177,<8\.5\.0"):
            _upstream.check_version(bad)


def test_DEFAULT_CFG_DICT_accepts_plugin_keys_on_the_cli():
    from ultralytics import utils
    from ultralytics.cfg import check_dict_alignment, get_cfg

    from sdgas_ultra.defaults import PLUGIN_CFG

    for k, v in PLUGIN_CFG.items():
        assert utils.DEFAULT_CFG_DICT[k] == v and getattr(utils.DEFAULT_CFG, k) == v
        check_dict_alignment(utils.DEFAULT_CFG_DICT, {k: v})  # raises SyntaxError for unknown keys
        assert getattr(get_cfg(overrides={k: v}), k) == v


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


def test_parse_model_leaves_stock_models_to_ultralytics():
    from ultralytics.nn import tasks

    d = tasks.yaml_model_load("yolov8n.yaml")
    ours, save = tasks.parse_model(deepcopy(d), ch=3, verbose=False)
    theirs, save0 = tasks.parse_model.sdgas_original(deepcopy(d), ch=3, verbose=False)
    assert save == save0 and [type(m) for m in ours] == [type(m) for m in theirs]


def test_row_by_row_build_matches_ultralytics_channel_rules():
    """The Index/BatchNorm2d probe reproduces upstream's channels and scaling for every stock row of yolov8s."""
    from ultralytics.nn import tasks

    from sdgas_ultra.nn import LAYERS

    d = tasks.yaml_model_load("yolov8s.yaml")
    rows = d["backbone"] + d["head"]
    ours, save = _upstream._parse_with_plugins(
        deepcopy(d), 3, False, deepcopy(rows), LAYERS, tasks.parse_model.sdgas_original
    )
    theirs, save0 = tasks.parse_model.sdgas_original(deepcopy(d), ch=3, verbose=False)
    assert save == save0
    for a, b in zip(ours, theirs):
        assert (a.i, a.f, a.type, a.np) == (b.i, b.f, b.type, b.np)


def test_stock_row_build_uses_upstream_index_and_batchnorm_rules():
    from ultralytics.nn import tasks

    d = tasks.yaml_model_load("yolov8n.yaml")
    layer, c2 = _upstream._build_stock_row(d, -1, 3, "C2f", [256, True], [32], tasks.parse_model.sdgas_original)
    assert type(layer).__name__ == "C2f" and c2 == 64  # 256 * width 0.25
    layer, c2 = _upstream._build_stock_row(d, [-1, 4], 1, "Concat", [1], [48, 40], tasks.parse_model.sdgas_original)
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
    model.train(data="x.yaml", sd_T=3.0)
    assert seen == {"data": "x.yaml", "sd_T": 3.0, "cls": SDGASModel}


def test_YOLO_train_leaves_plain_training_to_ultralytics(tmp_path):
    from ultralytics import YOLO

    model = YOLO("yolov8n.yaml")
    with pytest.raises(RuntimeError, match="missing.yaml"):  # the stock path runs, failing fast on the dataset
        model.train(data=str(tmp_path / "missing.yaml"), distill_model="t.pt", project=str(tmp_path))
    assert type(model) is YOLO


def test_every_touch_is_installed_and_keeps_the_original():
    from ultralytics.data import utils as data_utils
    from ultralytics.engine import model as engine_model
    from ultralytics.models.yolo.model import YOLO
    from ultralytics.nn import tasks
    from ultralytics.utils import checks

    for fn in (checks.check_file, data_utils.check_file, tasks.yaml_model_load, engine_model.yaml_model_load,
               tasks.parse_model, tasks.torch_safe_load, YOLO.__init__, YOLO.train):
        assert callable(fn.sdgas_original), fn


def test_activate_is_idempotent():
    from ultralytics.nn import tasks

    wrapper = tasks.parse_model
    sdgas_ultra.activate()
    assert tasks.parse_model is wrapper
