# sdgas-ultra, AGPL-3.0
"""The authors' own self-distillation recipe, as their YOLOv6-based code runs it (`sd_mode=yolov6`).

Described from YOLOv6 v3 (meituan/YOLOv6, yolov6/models/losses/loss_distill.py), which GASNet forks; written anew:

- Class term: the head's sigmoid *probabilities* p (not logits) of each anchor, divided by T and put through a
  softmax over the classes, for teacher and student; KL(teacher || student) * T^2, summed over every anchor. With
  T = 20 and p in [0, 1] both distributions are close to uniform, so the term is a gentle pull on the ranking of
  the classes, on background anchors as much as on objects.
- Box term: KL(teacher || student) * T^2 between softmax(bins / T) of each box side, on the assigner's positives only.
- Both terms decay with the cosine of training progress from 1 to 0.01.

What we change to fit ultralytics: YOLOv6 sums the class term over the whole batch and adds it to a loss that is not
multiplied by the batch size; ultralytics multiplies every loss item by the batch size, so the class term here is the
per-image sum (the same batch total after that factor). YOLOv6's box term, once its score weights cancel against
their sum, is the plain mean over positive box sides, as here. Anchors whose teacher logits are not finite weigh 0.
Without an assigner mask (end-to-end heads) the box term is 0.
"""

import torch
from torch import nn

from .kl import CosineDecay, TemperedKL, finite_logits, teacher_logits, weighted_mean


class YOLOv6KL(nn.Module):
    """YOLOv6 v3 self-distillation loss: [class term, box term]; same call as EnhancedKL.

    Args:
        reg_max (int): DFL bins per side; 1 (no DFL) turns the box term off.
        T (float): temperature of both terms (YOLOv6 uses 20).
        cls_gain (float): class-term gain (GASNet's config: 2.0).
        dfl_gain (float): box-term gain (1.0).
        cosine (bool): cosine decay of both gains over training.
    """

    def __init__(self, reg_max=16, T=20.0, cls_gain=2.0, dfl_gain=1.0, cosine=True):
        super().__init__()
        self.reg_max, self.kl = reg_max, TemperedKL(T)
        self.T, self.cls_gain = float(T), float(cls_gain)
        self.dfl_gain = float(dfl_gain) if reg_max > 1 else 0.0
        self.decay = CosineDecay(cosine)

    def forward(self, s_cls, t_cls, s_box, t_box, fg=None, progress=0.0):
        """Student/teacher class logits (B, A, nc) and DFL logits (B, A, 4*reg_max); fg (B, A) or None.

        Returns a (2,) fp32 tensor [class term, box term]; the teacher side carries no gradient.
        """
        t_cls, t_box, ok = teacher_logits(t_cls, t_box)
        s_cls, s_box = finite_logits(s_cls), finite_logits(s_box)
        decay, zero = self.decay(progress), s_cls.new_zeros(())
        cls = box = zero
        if self.cls_gain:
            kl = self.kl(s_cls.sigmoid(), t_cls.sigmoid())  # (B, A): softmax over classes of probabilities / T
            cls = (kl * ok).sum() / s_cls.shape[0] * (self.cls_gain * decay)
        if self.dfl_gain and fg is not None:
            b, a, _ = s_box.shape
            kl = self.kl(s_box.reshape(b, a, 4, self.reg_max), t_box.reshape(b, a, 4, self.reg_max)).mean(-1)
            box = weighted_mean(kl, fg.detach().float() * ok) * (self.dfl_gain * decay)
        return torch.stack((cls, box))
