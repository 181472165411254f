# sdgas-ultra, AGPL-3.0
"""Bad input that the plugin itself answers: a teacher that cannot teach the student is refused before training,
naming the distill_model and the mismatch, and leaves nothing that looks like a finished run; a bad plugin key value,
teacher file, model YAML name or project folder is refused in one line before anything is written.

Ultralytics' own handling of bad images, labels and dataset YAMLs is pinned in tests/test_upstream_bad_input.py
(compatibility tier).
"""

import os

import pytest
from ultralytics import YOLO

import sdgas_ultra
from sdgas_ultra import SDGASModel
from sdgas_ultra.base.errors import KeyValueError, MissingFileError
from sdgas_ultra.distill.pairing import PairingError

sdgas_ultra.activate()

TRAIN = dict(epochs=1, imgsz=64, batch=4, workers=0, device="cpu", plots=False, val=False, exist_ok=True)


@pytest.fixture(scope="module")
def other_task_teachers(tmp_path_factory):
    """Untrained checkpoints of other tasks: classify (no Detect head) and segment (a Detect subclass, 80 classes)."""
    root = tmp_path_factory.mktemp("teachers")
    YOLO("yolov8n-cls.yaml").save(root / "classify.pt")
    YOLO("yolov8n-seg.yaml").save(root / "segment.pt")
    return root


@pytest.mark.slow
def test_classify_teacher_is_refused_before_training(tiny_data, other_task_teachers, tmp_path, no_finished_run):
    with pytest.raises((PairingError, TypeError), match=r"ClassificationModel has no Detect head"):
        SDGASModel("sdgasnet-n.yaml").train(
            data=str(tiny_data), distill_model=str(other_task_teachers / "classify.pt"),
            project=str(tmp_path), name="r", **TRAIN,
        )
    no_finished_run(tmp_path)


@pytest.mark.slow
def test_classify_teacher_error_names_the_distill_model(tiny_data, other_task_teachers, tmp_path):
    teacher = other_task_teachers / "classify.pt"
    with pytest.raises(PairingError, match=f"distill_model '{teacher}'"):
        SDGASModel("sdgasnet-n.yaml").train(
            data=str(tiny_data), distill_model=str(teacher), project=str(tmp_path), name="r", **TRAIN
        )


@pytest.mark.slow
def test_segment_teacher_of_other_classes_is_refused_naming_the_mismatch(
    tiny_data, other_task_teachers, tmp_path, no_finished_run
):
    teacher = other_task_teachers / "segment.pt"
    with pytest.raises(PairingError) as e:
        SDGASModel("sdgasnet-n.yaml").train(
            data=str(tiny_data), distill_model=str(teacher), project=str(tmp_path), name="r", **TRAIN
        )
    assert f"distill_model '{teacher}' cannot teach this student" in str(e.value)
    assert "class count differs: teacher 80, student 6" in str(e.value)
    no_finished_run(tmp_path)


# Model YAMLs with a cycle or a forward reference: tests/test_yaml_errors.py (same sweep, one home per input kind).


# --- every plugin key is checked before anything is written (issue #22) ----------------------------------------------
BAD_VALUES = [  # (key, value, what the one-line message must say)
    ("sd_T", float("nan"), "'sd_T' must be a finite number > 0 or None"),
    ("sd_T", "abc", "'sd_T' must be a finite number > 0 or None"),
    ("sd_T", 0, "'sd_T' must be a finite number > 0 or None"),
    ("sd_T", float("inf"), "'sd_T' must be a finite number > 0 or None"),
    ("sd_cls", -1, "'sd_cls' must be a finite number >= 0 or None"),
    ("sd_dfl", None, "'sd_dfl' must be a finite number >= 0"),
    ("sd_kl", "maybe", "'sd_kl' must be True or False"),
    ("sd_std", 1, "'sd_std' must be True or False"),
    ("self_distill", "yes", "'self_distill' must be True or False"),
    ("sd_mode", "yolov7", "'sd_mode' must be 'enhanced' or 'yolov6'"),
    ("sd_fg", "teachr", "'sd_fg' must be True, False, 'all', 'teacher', 'assigned' or 'none'; did you mean 'teacher'?"),
    ("sd_cls_dist", "sigmod", "'sd_cls_dist' must be 'sigmoid' or 'softmax'; did you mean 'sigmoid'?"),
]


def refused(error, match, tmp_path, model="sdgasnet-n.yaml", **train):
    """Train with `train` (project tmp_path/p unless given); assert it raises error, one line containing `match`,
    and that nothing was written under tmp_path."""
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(error) as e:
        YOLO(model).train(**{"data": str(tmp_path / "never-read.yaml"), "project": str(tmp_path / "p"), **train})
    assert match in str(e.value) and "\n" not in str(e.value)
    assert sorted(os.listdir(tmp_path)) == before
    return str(e.value)


@pytest.mark.parametrize("key, value, allowed", BAD_VALUES)
def test_bad_plugin_values_are_refused_naming_key_value_and_what_is_allowed(key, value, allowed, tmp_path):
    message = refused(KeyValueError, allowed, tmp_path, **{key: value})
    assert message.startswith(f"'{key}={value}' is invalid: ")


def test_bad_values_are_refused_for_stock_models_and_self_distillation_too(tmp_path):
    refused(KeyValueError, "'sd_cls=-1' is invalid", tmp_path, model="yolov8n.yaml", sd_cls=-1)
    refused(KeyValueError, "'sd_T=nan' is invalid", tmp_path, self_distill=True, sd_T=float("nan"))


def test_good_values_pass_the_check():
    from sdgas_ultra._upstream import check_train_args

    check_train_args(dict(self_distill=False, sd_teacher=None, sd_kl=False, sd_mode="yolov6", sd_T=0.5, sd_cls=0,
                          sd_dfl=2, sd_std=True, sd_fg="none", sd_cos=False, sd_cls_dist="softmax"))
    check_train_args(dict(sd_fg=True, sd_T=None, sd_cls=None, sd_teacher="sdgasnet-s.yaml"))


def test_a_missing_distill_model_is_never_looked_up_online(tmp_path, monkeypatch):
    import ultralytics.utils

    from sdgas_ultra._upstream.config import check_checkpoint

    refused(MissingFileError, f"'distill_model={tmp_path / 'gone.pt'}': no such file", tmp_path,
            distill_model=str(tmp_path / "gone.pt"))
    monkeypatch.setattr(ultralytics.utils, "ONLINE", True)
    with pytest.raises(MissingFileError, match="no such file"):  # a local path: never a download, online or not
        check_checkpoint("distill_model", "runs/detect/train/weights/best.pt")
    check_checkpoint("distill_model", "yolov8n.pt")  # a release asset, online: upstream downloads it
    monkeypatch.setattr(ultralytics.utils, "ONLINE", False)
    with pytest.raises(MissingFileError, match="'distill_model=yolov8n.pt': no such file"):
        check_checkpoint("distill_model", "yolov8n.pt")


def test_a_text_file_or_a_yaml_as_distill_model_is_one_line(tmp_path):
    (tmp_path / "notes.pt").write_text("not a checkpoint\n")
    refused(KeyValueError, "is not a PyTorch checkpoint", tmp_path, distill_model=str(tmp_path / "notes.pt"))
    refused(KeyValueError, "'distill_model=sdgasnet-n.yaml' is a model YAML, not a trained checkpoint", tmp_path,
            distill_model="sdgasnet-n.yaml")


def test_a_misspelt_teacher_yaml_names_the_key_and_the_closest_yaml(tmp_path):
    refused(MissingFileError, "'sd_teacher=sdgasnet-ss.yaml': sdgasnet-ss.yaml: no such model YAML; did you mean "
            "sdgasnet-s.yaml?", tmp_path, self_distill=True, sd_teacher="sdgasnet-ss.yaml")


@pytest.mark.parametrize("old, new, release", [("sdgas-a4-cs.yaml", "sdgas-a4-fgpem.yaml", "0.3.1"),
                                               ("sdgas-a3-fgpem.yaml", "sdgas-l4-fgpem-no-cs.yaml", "0.3.1"),
                                               ("sdgas-s1-no-cs-v8-head-n.yaml", "sdgasnet-n.yaml", "0.5"),
                                               ("sdgas-s1-no-cs-v8-head.yaml", "sdgasnet.yaml", "0.5")])
def test_renamed_model_yamls_say_the_new_name(old, new, release):
    with pytest.raises(MissingFileError) as e:
        YOLO(old)
    assert str(e.value).startswith(f"{old}: renamed {new} in sdgas-ultra {release}") and "\n" not in str(e.value)


def test_other_missing_yamls_keep_upstreams_error():
    with pytest.raises(FileNotFoundError) as e:
        YOLO("no-such-model-at-all.yaml")
    assert not isinstance(e.value, MissingFileError)


def test_a_non_numeric_fgpem_ratio_names_the_file_and_row(tmp_path):
    from sdgas_ultra.base.errors import ModelYAMLError
    from sdgas_ultra.base.paths import CFG_DIR

    path = tmp_path / "bad-ratio.yaml"
    text = (CFG_DIR / "models" / "sdgasnet.yaml").read_text()
    path.write_text(text.replace("  - [-1, 1, SPPF, [1024, 5]] # 9 P5 out", "  - [-1, 1, FGPEM, [abc]]"))
    with pytest.raises(ModelYAMLError) as e:
        YOLO(str(path))
    assert str(e.value).startswith(f"{path}: backbone row 9 [-1, 1, 'FGPEM', ['abc']]: ")
    assert str(e.value).endswith("ratio (DCT cutoff) must be a number in (0, 1], got 'abc'")


def test_an_unknown_fgpem_choice_names_the_file_and_row(tmp_path):
    from sdgas_ultra.base.errors import ModelYAMLError
    from sdgas_ultra.base.paths import CFG_DIR

    path = tmp_path / "bad-fgpem.yaml"
    text = (CFG_DIR / "models" / "sdgasnet.yaml").read_text()
    path.write_text(text.replace("0.25, 2, True, max", "0.25, 2, maybe, max"))
    with pytest.raises(ModelYAMLError) as e:
        YOLO(str(path))
    assert str(e.value).startswith(f"{path}: head row 0 (layer 10) [[2, 4, 6, 9], 1, 'FIGA', ")
    assert str(e.value).endswith("fgpem must be one of True, False, texture, got 'maybe'")


def test_a_project_that_cannot_be_written_is_one_line(tmp_path):
    (tmp_path / "file").write_text("")
    refused(KeyValueError, f"'project={tmp_path / 'file' / 'runs'}' cannot be written", tmp_path,
            project=str(tmp_path / "file" / "runs"))  # the project is under a file: not a folder, even for root


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_project_is_one_line(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    try:
        refused(KeyValueError, f"'project={locked / 'runs'}' cannot be written (Permission denied)", tmp_path,
                project=str(locked / "runs"))
    finally:
        locked.chmod(0o700)
