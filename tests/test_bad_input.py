# sdgas-ultra, AGPL-3.0
"""Bad input that the plugin itself answers: a teacher that cannot teach the student is refused before training,
naming the distill_model and the mismatch, and leaves nothing that looks like a finished run.

Ultralytics' own handling of bad images, labels and dataset YAMLs is pinned in tests/test_upstream_bad_input.py
(compatibility tier).
"""

import pytest
from ultralytics import YOLO

import sdgas_ultra
from sdgas_ultra import SDGASModel
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
