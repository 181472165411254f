# sdgas-ultra, AGPL-3.0
"""SDGASTrainer: ultralytics' DetectionTrainer plus KL self-distillation from a frozen teacher.

With `distill_model=teacher.pt` (and `sd_kl=True`, the default) the student's loss gains two terms,
`sd_cls_loss` and `sd_dfl_loss` (kl.EnhancedKL, or yolov6.YOLOv6KL with `sd_mode=yolov6`), computed inside the
student's own criterion call: one student forward gives both the detection loss and the distillation terms, and the
assigner's positives are reused for the anchor weights. The teacher runs outside the trainer's autocast, in fp32.
It is held by the trainer and by that criterion only, never as a submodule: it stays out of the optimizer, the EMA
and every checkpoint, and `resume=True` rebuilds it from `distill_model`. AMP, EMA, schedulers, callbacks and
validation are the stock ones.

With `sd_kl=False` the stock trainer's feature distillation (ultralytics' DistillationModel) runs instead.
Either way the teacher is checked against the student (pairing.check_pairing) before any data is loaded.
"""

import torch
from ultralytics.models.yolo.detect import DetectionTrainer
from ultralytics.nn import load_checkpoint
from ultralytics.utils import LOGGER, colorstr
from ultralytics.utils.torch_utils import unwrap_model

from .. import activate
from .._upstream import DEFAULT_CFG
from .._upstream.distill import (
    detect_head,
    hide_distill_model,
    install_criterion,
    loss_with_foreground,
    progress_header,
    split_detect_output,
    unwrap_student,
)
from ..defaults import MODE_DEFAULTS
from .kl import EnhancedKL
from .pairing import check_pairing
from .yolov6 import YOLOv6KL

activate()  # DDP workers unpickle this trainer before they copy its sd_* config: the keys must be known by then

LOSS_NAMES = ("sd_cls_loss", "sd_dfl_loss")  # train/<name> columns in results.csv


def load_teacher(source):
    """Load a teacher checkpoint as a frozen fp32 model in eval mode (Conv+BN fused unless end-to-end)."""
    teacher, _ = load_checkpoint(source)
    if not getattr(teacher, "end2end", False):  # fusing an end-to-end head would drop its one-to-many branch
        teacher = teacher.fuse(verbose=False)
    teacher.requires_grad_(False)
    return teacher.eval()


def distill_loss_from_args(args, reg_max):
    """The KL distillation loss of args.sd_mode ('enhanced': EnhancedKL, 'yolov6': YOLOv6KL) from the sd_* keys."""
    mode = args.sd_mode
    if mode not in MODE_DEFAULTS:
        raise ValueError(f"sd_mode must be one of {tuple(MODE_DEFAULTS)}, got {mode!r}")
    T = MODE_DEFAULTS[mode]["sd_T"] if args.sd_T is None else args.sd_T
    cls_gain = MODE_DEFAULTS[mode]["sd_cls"] if args.sd_cls is None else args.sd_cls
    if mode == "yolov6":
        return YOLOv6KL(reg_max=reg_max, T=T, cls_gain=cls_gain, dfl_gain=args.sd_dfl, cosine=args.sd_cos)
    return EnhancedKL(
        reg_max=reg_max,
        T=T,
        cls_gain=cls_gain,
        dfl_gain=args.sd_dfl,
        standardize=args.sd_std,
        foreground=args.sd_fg,
        cosine=args.sd_cos,
        cls_dist=args.sd_cls_dist,
    )


class SelfDistillCriterion:
    """The student's detection criterion plus the KL distillation terms against a frozen teacher.

    Called by the student's loss() as criterion(preds, batch) -> (loss vector * batch size, items); appends
    [sd_cls, sd_dfl] to the vector and to the items. `progress` (training progress in [0, 1]) drives the cosine
    decay; the trainer updates it every batch.

    A copy or pickle of this object is a copy of the plain detection criterion: whatever copies the student (EMA,
    checkpoints) never carries the teacher along.
    """

    def __init__(self, base, teacher, loss):
        self.base, self.teacher, self.kl = base, teacher, loss
        self.progress = 0.0

    def __call__(self, preds, batch):
        loss, items, fg = loss_with_foreground(self.base, preds, batch)
        s_cls, s_box = split_detect_output(preds)
        img = batch["img"]
        # the trainer runs the loss inside autocast (fp16 on CUDA); the teacher's logits are read in fp32
        with torch.no_grad(), torch.autocast(img.device.type, enabled=False):
            t_cls, t_box = split_detect_output(self.teacher(img.float()))
        sd = self.kl(s_cls, t_cls, s_box, t_box, fg=fg, progress=self.progress)
        items = {**items, **dict(zip(LOSS_NAMES, sd.detach()))}
        return torch.cat((loss, sd.to(loss.dtype) * batch["img"].shape[0])), items

    def __getattr__(self, name):  # update(), loss_names, ... of the detection criterion
        if name in {"base", "teacher", "kl", "progress"} or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.base, name)

    def __reduce_ex__(self, protocol):
        return self.base.__reduce_ex__(protocol)


def _reset_batch_count(trainer):
    trainer.sd_batch = 0


def _update_progress(trainer):
    """on_train_batch_start: progress = (epoch + batch / batches) / epochs for the cosine decay."""
    if trainer.sd_criterion is not None:
        nb = max(len(trainer.train_loader), 1)
        trainer.sd_criterion.progress = (trainer.epoch + trainer.sd_batch / nb) / max(trainer.epochs, 1)
    trainer.sd_batch += 1


class SDGASTrainer(DetectionTrainer):
    """DetectionTrainer with KL self-distillation (sd_mode) when `distill_model` is set.

    Attributes:
        teacher (nn.Module | None): frozen teacher (KL modes, sd_kl=True); not part of self.model.
        sd_criterion (SelfDistillCriterion | None): the criterion installed on the student.

    Examples:
        >>> from ultralytics import YOLO
        >>> YOLO("yolov8n.yaml").train(data="coco8.yaml", distill_model="teacher.pt", trainer=SDGASTrainer)
    """

    def __init__(self, cfg=DEFAULT_CFG, overrides=None, _callbacks=None):
        super().__init__(cfg, overrides, _callbacks)
        self.teacher, self.sd_loss, self.sd_criterion, self.sd_source, self.sd_batch = None, None, None, None, 0
        if self.uses_kl:
            self.add_callback("on_train_epoch_start", _reset_batch_count)
            self.add_callback("on_train_batch_start", _update_progress)

    @property
    def uses_kl(self):
        """True when this run distils with a KL loss of sd_mode (distill_model set and sd_kl on)."""
        return bool(self.sd_source or self.args.distill_model) and bool(getattr(self.args, "sd_kl", True))

    def setup_model(self):
        """Build the student as usual, then load the teacher, check the pair and build the loss from the sd_ keys,
        before any data is loaded (so a wrong teacher or key fails at once)."""
        ckpt = super().setup_model()
        source = self.sd_source or self.args.distill_model  # _setup_train hides args.distill_model in KL mode
        if source:
            teacher, student = load_teacher(source), unwrap_student(self.model)
            check_pairing(
                teacher,
                student,
                names=self.data["names"],
                channels=self.data.get("channels", 3),
                teacher_name=f"'{source}'",
            )
            self.teacher = teacher if self.uses_kl else None  # the stock path loads its own copy
            if self.uses_kl:
                self.sd_loss = distill_loss_from_args(self.args, detect_head(student).reg_max)
        return ckpt

    def label_loss_items(self, loss_items=None, prefix="train"):
        """Stock labels; the sd_ terms are training-only, so validation (which has no teacher) does not list them."""
        labels = super().label_loss_items(loss_items, prefix)
        if prefix == "train":
            return labels
        sd_keys = {f"{prefix}/{k}" for k in LOSS_NAMES}
        if loss_items is None:  # the list of names
            return [k for k in labels if k not in sd_keys]
        return {k: v for k, v in labels.items() if k not in sd_keys}

    def progress_string(self):
        """Stock header over this run's loss columns; the sd_ terms show as 'sd_cls', 'sd_dfl'."""
        return progress_header(self.loss_names)

    def _setup_train(self):
        """Stock setup (model, AMP, EMA, optimizer, data, resume), then the distillation criterion on the student."""
        if not self.uses_kl:
            return super()._setup_train()
        self.sd_source = self.args.distill_model  # stays in self.args too: checkpoints keep it for resume
        with hide_distill_model(self):
            super()._setup_train()
        self.teacher = self.teacher.to(self.device)
        kl = self.sd_loss
        self.sd_criterion = install_criterion(
            unwrap_model(self.model), lambda base: SelfDistillCriterion(base, self.teacher, kl)
        )
        a = self.args
        extra = f", std={a.sd_std}, fg={a.sd_fg}, dist={a.sd_cls_dist}" if a.sd_mode == "enhanced" else ""
        LOGGER.info(
            f"{colorstr('distill:')} {a.sd_mode} KL from '{self.sd_source}' (T={kl.T}, cls={kl.cls_gain}, "
            f"dfl={kl.dfl_gain}, cos={a.sd_cos}{extra})"
        )
