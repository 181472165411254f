# sdgas-ultra, AGPL-3.0
"""Teacher/student pairing check: run before training, so a wrong teacher fails with a message, not a shape error.

Distillation compares the two heads anchor by anchor and bin by bin, so teacher and student must agree on the class
list (names and count), the DFL bins per side (reg_max), the strides (same anchors) and the input channels. Scale
and architecture may differ: sdgasnet-s may teach sdgasnet-n, yolov8 may teach sdgasnet and the other way round.
"""

from .._upstream.distill import detect_head


class PairingError(ValueError):
    """Teacher and student cannot be distilled; the message lists every mismatch."""


def head_signature(model, names=None, channels=None):
    """Return what pairing compares, as a dict: names, nc, reg_max, strides, channels.

    names/channels default to the model's own (a student about to train takes them from its dataset instead).
    """
    head = detect_head(model)
    yaml = getattr(model, "yaml", None) or {}
    return {
        "names": dict(names if names is not None else getattr(model, "names", None) or {}),
        "nc": int(head.nc),
        "reg_max": int(head.reg_max),
        "strides": tuple(int(s) for s in head.stride.tolist()),
        "channels": int(channels if channels is not None else yaml.get("channels", 3)),
    }


def _short(names, limit=8):
    items = list(names.items())
    text = ", ".join(f"{k}: {v!r}" for k, v in items[:limit])
    return "{" + text + (f", ... ({len(items)} in all)" if len(items) > limit else "") + "}"


def check_pairing(teacher, student, names=None, channels=None, teacher_name="teacher"):
    """Raise PairingError unless teacher can distil into student.

    Args:
        teacher (nn.Module): teacher detection model.
        student (nn.Module): student detection model.
        names (dict, optional): the student's class names (its dataset's); default: student.names.
        channels (int, optional): the student's input channels (its dataset's); default: from student.yaml.
        teacher_name (str): how the message names the teacher, e.g. its checkpoint path.
    """
    try:
        t = head_signature(teacher)
    except TypeError as e:  # no Detect head: a classify (or other non-detection) checkpoint
        task = getattr(teacher, "task", None) or type(teacher).__name__
        raise PairingError(
            f"distill_model {teacher_name} cannot teach this student: it is a {task} model without a detection "
            f"head ({e}). Use a trained detection checkpoint (e.g. runs/detect/train/weights/best.pt)."
        ) from e
    s = head_signature(student, names=names, channels=channels)
    problems = []
    if t["nc"] != s["nc"]:
        problems.append(f"class count differs: teacher {t['nc']}, student {s['nc']}")
    if t["names"] != s["names"]:
        problems.append(f"class names differ: teacher {_short(t['names'])}, student {_short(s['names'])}")
    if t["reg_max"] != s["reg_max"]:
        problems.append(f"reg_max (DFL bins per side) differs: teacher {t['reg_max']}, student {s['reg_max']}")
    if t["strides"] != s["strides"]:
        problems.append(f"strides differ: teacher {list(t['strides'])}, student {list(s['strides'])}")
    if t["channels"] != s["channels"]:
        problems.append(f"input channels differ: teacher {t['channels']}, student {s['channels']}")
    if problems:
        raise PairingError(
            f"distill_model {teacher_name} cannot teach this student: "
            + "; ".join(problems)
            + ". Use a teacher trained on the same dataset with the same head (reg_max) and strides."
        )
