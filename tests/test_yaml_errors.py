# sdgas-ultra, AGPL-3.0
"""A wrong model YAML fails before building, with a message naming the file, the row and the problem."""

import pytest
import yaml
from ultralytics import YOLO

import sdgas_ultra
from sdgas_ultra.base.errors import ModelYAMLError
from sdgas_ultra.base.paths import CFG_DIR

sdgas_ultra.activate()


def broken_yaml(tmp_path, edit):
    d = yaml.safe_load((CFG_DIR / "models" / "sdgasnet.yaml").read_text())
    edit(d)
    path = tmp_path / "broken-sdgasnet.yaml"
    path.write_text(yaml.safe_dump(d))
    return path


def error_of(path):
    with pytest.raises(ModelYAMLError) as e:
        YOLO(str(path))
    return str(e.value)


def test_unknown_module_is_named(tmp_path):
    msg = error_of(broken_yaml(tmp_path, lambda d: d["head"][1].__setitem__(2, "Alocate")))
    assert "broken-sdgasnet.yaml" in msg and "head row 1 (layer 11)" in msg and "unknown module 'Alocate'" in msg
    assert "did you mean Allocate" in msg


def test_forward_reference_is_named(tmp_path):
    path = broken_yaml(tmp_path, lambda d: d["head"][0].__setitem__(0, [2, 4, 6, 12]))  # layer 10 reads 12
    msg = error_of(path)
    assert msg.startswith(f"{path}: head row 0 (layer 10)") and "'from' 12 is a forward reference or cycle" in msg


def test_self_reference_cycle_is_named(tmp_path):
    path = broken_yaml(tmp_path, lambda d: d["head"][3].__setitem__(0, [9, 13]))  # layer 13 reads itself
    msg = error_of(path)
    assert msg.startswith(f"{path}: head row 3 (layer 13)")
    assert "'from' 13 is a forward reference or cycle (layer 13 can only read layers < 13)" in msg


def test_index_before_first_layer_is_named(tmp_path):
    msg = error_of(broken_yaml(tmp_path, lambda d: d["backbone"][2].__setitem__(0, -5)))
    assert "backbone row 2" in msg and "before the first layer" in msg


def test_wrong_arguments_are_named(tmp_path):
    msg = error_of(broken_yaml(tmp_path, lambda d: d["head"][0].__setitem__(3, [512, 1, 0.25, 7])))
    assert "head row 0 (layer 10)" in msg and "FIGA" in msg


def test_unknown_figa_pooling_is_named(tmp_path):
    msg = error_of(broken_yaml(tmp_path, lambda d: d["head"][0].__setitem__(3, [512, 1, 0.25, 2, True, "mean"])))
    assert "head row 0 (layer 10)" in msg and "FIGA" in msg and "down must be 'avg' or 'max', got 'mean'" in msg


def test_wrong_number_of_inputs_is_named(tmp_path):
    msg = error_of(broken_yaml(tmp_path, lambda d: d["head"][1].__setitem__(0, 4)))
    assert "head row 1 (layer 11)" in msg and "Allocate" in msg


def test_malformed_row_is_named(tmp_path):
    msg = error_of(broken_yaml(tmp_path, lambda d: d["head"].insert(2, [-1, 1, "Conv"])))
    assert "head row 2" in msg and "expected [from, repeats, module, args]" in msg


def test_unknown_scale_is_named(tmp_path):
    d = yaml.safe_load((CFG_DIR / "models" / "sdgasnet.yaml").read_text())
    d["scales"] = {"n": d["scales"]["n"]}
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump(d))
    msg = r"mine-x.yaml: unknown scale 'x'; .*mine.yaml has scales n \(e.g. mine-n.yaml\)"
    with pytest.raises(ModelYAMLError, match=msg):
        YOLO(str(tmp_path / "mine-x.yaml"))
