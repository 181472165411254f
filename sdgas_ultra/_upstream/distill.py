# sdgas-ultra, AGPL-3.0
"""Distillation adapters: what sdgas_ultra.distill reads or drives inside ultralytics, each named for what it does.

Each section names the upstream object it touches. guard.INTERNALS lists those objects and guard.BEHAVIOURS the
behaviours they rely on; tests/test_upstream.py covers each adapter against the installed ultralytics.
"""

from contextlib import contextmanager
from types import SimpleNamespace


# --- ultralytics.nn.modules.head.Detect.forward_head (its raw output) -----------------------------------------------
def split_detect_output(preds):
    """Class logits (B, A, nc) and DFL logits (B, A, 4 * reg_max) from a detector's raw output.

    Takes Detect's training output {'boxes': (B, 4*reg_max, A), 'scores': (B, nc, A), 'feats': [...]}, its eval
    output (decoded, that dict), or an end-to-end head's {'one2many': ..., 'one2one': ...}, of which the dense
    one-to-many branch is used. A spans all strides, in the head's level order.
    """
    if isinstance(preds, tuple):
        preds = preds[1]
    preds = preds.get("one2many", preds)
    return preds["scores"].transpose(1, 2), preds["boxes"].transpose(1, 2)


# --- ultralytics.nn.tasks.DetectionModel.model[-1] (the Detect head) ------------------------------------------------
def detect_head(model):
    """The Detect head (last layer) of a detection model: it holds nc, reg_max and stride."""
    from ultralytics.nn.modules.head import Detect

    head = model.model[-1]
    if not isinstance(head, Detect):
        raise TypeError(f"{type(model).__name__} has no Detect head (last layer is {type(head).__name__})")
    return head


# --- ultralytics.utils.loss.v8DetectionLoss.loss (parse_output, then get_assigned_targets_and_loss) ------------------
def loss_with_foreground(criterion, preds, batch):
    """Run a detection criterion and also return the positives its assigner chose, from one assignment.

    Returns (loss * batch size, loss items, foreground mask (B, A) bool), exactly what criterion(preds, batch)
    returns plus the mask. Criteria other than a plain v8DetectionLoss (E2ELoss, subclasses that override `loss`)
    run as they are and give no mask (None).
    """
    from ultralytics.utils.loss import v8DetectionLoss

    if not (isinstance(criterion, v8DetectionLoss) and type(criterion).loss is v8DetectionLoss.loss):
        return (*criterion(preds, batch), None)
    preds = criterion.parse_output(preds)
    (fg_mask, *_), loss, items = criterion.get_assigned_targets_and_loss(preds, batch)
    return loss * preds["boxes"].shape[0], items, fg_mask


# --- ultralytics.nn.tasks.BaseModel.loss (its `criterion`) ----------------------------------------------------------
def install_criterion(model, wrap):
    """Make model.loss() use wrap(model's default criterion); returns the installed criterion.

    BaseModel.loss builds `model.criterion` lazily and calls it as criterion(preds, batch) -> (loss, items).
    """
    model.criterion = wrap(model.init_criterion())
    return model.criterion


# --- ultralytics.engine.trainer.BaseTrainer._setup_train (its built-in `distill_model` branch) -----------------------
@contextmanager
def hide_distill_model(trainer):
    """Hide trainer.args.distill_model from BaseTrainer._setup_train so it does not wrap the student in ultralytics'
    feature-distillation model (and does not disable `compile`); restored on exit, also on error."""
    args = trainer.args
    value, args.distill_model = args.distill_model, None
    try:
        yield
    finally:
        args.distill_model = value


# --- ultralytics.nn.distill_model.DistillationModel.student_model --------------------------------------------------
def unwrap_student(model):
    """The student inside ultralytics' feature-distillation wrapper, or model itself when it is not wrapped."""
    return getattr(model, "student_model", model)


# --- ultralytics.models.yolo.detect.DetectionTrainer.progress_string (the header over the progress bar) -------------
COLUMN = 11  # width of each column of the stock header


def progress_header(loss_names):
    """The stock detection trainer's progress header over `loss_names`; a name that would fill its whole column (so
    touch the previous one) drops its '_loss' suffix: 'sd_cls_loss' shows as 'sd_cls'."""
    from ultralytics.models.yolo.detect import DetectionTrainer

    names = [n.removesuffix("_loss") if len(n) >= COLUMN else n for n in loss_names]
    return DetectionTrainer.progress_string(SimpleNamespace(loss_names=names))
