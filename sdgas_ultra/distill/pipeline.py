# sdgas-ultra, AGPL-3.0
"""One-call self-distillation: train a teacher, then the student from it (born-again, or from a larger sibling).

`SDGASModel("sdgasnet-n.yaml").train(data=..., self_distill=True)` and `yolo train model=sdgasnet-n.yaml data=...
self_distill=True` land here. The teacher (this model, or `sd_teacher=sdgasnet-s.yaml`) trains with the student's
settings and seed s under the run name '<name>-teacher'; the student then trains with seed s + 1 (its own
initialisation and data order) under '<name>' with `distill_model=<teacher best.pt>`, in the same project folder.
"""

from pathlib import Path
from types import SimpleNamespace

from ultralytics.utils import DEFAULT_CFG, LOGGER, colorstr


def self_distill(student, /, trainer=None, **kwargs):
    """Train a teacher with kwargs and seed s, then train `student` with seed s + 1, distilled from it.

    Args:
        student (ultralytics.engine.model.Model): the student, as built from a YAML or a checkpoint.
        trainer (type, optional): trainer class; default SDGASTrainer (also for a plain YOLO model).
        **kwargs (Any): training settings shared by both runs (data, epochs, imgsz, seed, project, name, ...);
            `sd_teacher` (a model YAML or .pt) picks the teacher, default a fresh copy of the student's source;
            `model` (which the stock `yolo` entry point passes along) is ignored: the student is `student`.

    Returns:
        (DetMetrics | None): the student's metrics, as Model.train returns them.
    """
    from ..base.errors import MissingFileError
    from ..defaults import PLUGIN_CFG
    from .trainer import SDGASTrainer, distill_loss_from_args

    for key in ("distill_model", "resume"):
        if kwargs.get(key):
            raise ValueError(
                f"self_distill=True trains its own teacher and cannot take {key}={kwargs[key]!r}; "
                f"pass distill_model=teacher.pt without self_distill to use a trained teacher, or resume the "
                f"student run alone with resume=True"
            )
    for key in ("self_distill", "model"):
        kwargs.pop(key, None)
    sd = SimpleNamespace(**{**PLUGIN_CFG, **{k: v for k, v in kwargs.items() if k in PLUGIN_CFG}})
    if sd.sd_kl:
        distill_loss_from_args(sd, reg_max=16)  # a bad sd_ key fails now, not after the teacher's training
    trainer = trainer or SDGASTrainer
    name = kwargs.pop("name", None) or "train"
    seed = int(kwargs.pop("seed", None) or DEFAULT_CFG.seed)
    source = kwargs.pop("sd_teacher", None) or student.ckpt_path or student.cfg
    if not source:
        raise ValueError("self_distill needs sd_teacher=<model YAML or .pt>, or a student built from a YAML or .pt")

    try:
        teacher = type(student)(source, task=student.task)
    except FileNotFoundError as e:  # name the key: the message alone reads as if the student were missing
        raise MissingFileError(f"'sd_teacher={source}': {e}") from None
    LOGGER.info(f"{colorstr('self_distill:')} teacher '{source}' seed {seed}, then the student with seed {seed + 1}")
    teacher.train(trainer=trainer, name=f"{name}-teacher", seed=seed, **kwargs)
    teacher_run = teacher.trainer
    weights = teacher_run.best if Path(teacher_run.best).exists() else teacher_run.last
    return student.train(trainer=trainer, name=name, seed=seed + 1, distill_model=str(weights), **kwargs)
