# sdgas-ultra, AGPL-3.0
"""One-call self-distillation: train a teacher of the same model, then the student from it (born-again).

`SDGASModel("sdgasnet-n.yaml").train(data=..., self_distill=True)` lands here. The teacher trains with exactly the
student's settings under the run name '<name>-teacher'; the student then trains under '<name>' with
`distill_model=<teacher best.pt>`, so both runs sit side by side in the same project folder.
"""

from pathlib import Path


def self_distill(model, trainer=None, **kwargs):
    """Train a teacher copy of `model` with kwargs, then train `model` distilled from it.

    Args:
        model (ultralytics.engine.model.Model): the student, as built from a YAML or a checkpoint; the teacher is a
            fresh model from the same source, so it starts where the student starts.
        trainer (type, optional): trainer class; default SDGASTrainer (also for a plain YOLO model).
        **kwargs (Any): training settings shared by both runs (data, epochs, imgsz, seed, project, name, ...).

    Returns:
        (DetMetrics | None): the student's metrics, as Model.train returns them.
    """
    from .trainer import SDGASTrainer

    for key in ("distill_model", "resume"):
        if kwargs.get(key):
            raise ValueError(
                f"self_distill=True trains its own teacher and cannot take {key}={kwargs[key]!r}; "
                f"pass distill_model=teacher.pt without self_distill to use a trained teacher, or resume the "
                f"student run alone with resume=True"
            )
    kwargs.pop("self_distill", None)
    trainer = trainer or SDGASTrainer
    name = kwargs.pop("name", None) or "train"
    source = model.ckpt_path or model.cfg
    if not source:
        raise ValueError("self_distill needs a model built from a YAML or a checkpoint path to copy as the teacher")

    teacher = type(model)(source, task=model.task)
    teacher.train(trainer=trainer, name=f"{name}-teacher", **kwargs)
    teacher_run = teacher.trainer
    weights = teacher_run.best if Path(teacher_run.best).exists() else teacher_run.last
    return model.train(trainer=trainer, name=name, distill_model=str(weights), **kwargs)
