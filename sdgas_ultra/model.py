# sdgas-ultra, AGPL-3.0
"""SDGASModel: ultralytics' YOLO with sdgas-ultra's trainer (enhanced-KL self-distillation)."""

from ultralytics import YOLO

from . import activate

activate()


class SDGASModel(YOLO):
    """YOLO for SD-GASNet (and any DFL detector): train/val/predict/export as YOLO, plus self-distillation.

    Examples:
        >>> model = SDGASModel("sdgasnet-n.yaml")
        >>> model.train(data="synthetic-defects.yaml", epochs=3, imgsz=160)
        >>> model.train(data="synthetic-defects.yaml", self_distill=True)  # teacher first, then the student
    """

    def __init__(self, model="sdgasnet-n.yaml", task=None, verbose=False):
        super().__init__(model=model, task=task, verbose=verbose)

    @property
    def task_map(self):
        """YOLO's task map with the distillation-aware trainer for detection."""
        from .distill.trainer import SDGASTrainer

        task_map = super().task_map
        task_map["detect"]["trainer"] = SDGASTrainer
        return task_map

    def train(self, trainer=None, **kwargs):
        """Train as YOLO does; `self_distill=True` trains a teacher (this model or `sd_teacher`) first. Every key is
        checked before anything is written (a bad value raises KeyValueError naming it)."""
        from ._upstream import check_train_args

        check_train_args(kwargs)
        if kwargs.pop("self_distill", False):
            from .distill.pipeline import self_distill

            return self_distill(self, trainer=trainer, **kwargs)
        if kwargs.get("sd_teacher"):
            raise ValueError(
                f"sd_teacher={kwargs['sd_teacher']!r} is the teacher that self_distill=True trains first; add "
                f"self_distill=True, or pass a trained teacher as distill_model=teacher.pt"
            )
        return super().train(trainer=trainer, **kwargs)

    def explain(self, source, out=None, imgsz=None, conf=0.25, labels=False, device=None, verbose=True):
        """Heat-maps of FGPEM and FIGA's allocation gates over each image of SOURCE, one PNG each (as `sdgas explain`).

        Returns a list of Explanation(file, png, result, maps), maps being {panel title: (H, W) array at image size}.
        """
        from .explain import explain

        return explain(self, source, out, imgsz, conf, labels, device, verbose)
