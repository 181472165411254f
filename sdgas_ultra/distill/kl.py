# sdgas-ultra, AGPL-3.0
"""Enhanced KL divergence for self-distillation of DFL detectors (SD-GASNet, Sensors 2026, 26(1):23).

The paper names an "Enhanced KL divergence" loss but does not publish it. Our reading builds on the YOLOv6 v3
self-distillation that the authors' earlier code used (KL on class scores and on DFL box bins, temperature T,
T^2 scaling, cosine-decayed weight) and adds what the field calls "enhanced" KD. One class per idea:

- `TemperedKL`: KL(teacher || student) between categorical distributions at temperature T, times T^2
  (Hinton et al. 2015), from log-softmax in float64 (fp32 on MPS), so fp16 autocast cannot produce NaN or Inf and
  nearly equal distributions cannot give a negative KL; `TemperedBernoulliKL` is its 2-class case for sigmoid
  scores, in closed form from log-sigmoid, also in float64.
- `LogitStandardizer`: z -> (z - mean) / sqrt(var + eps) per anchor before the temperature (Sun et al., CVPR 2024,
  "Logit Standardization in Knowledge Distillation"), for softmax distributions only (DFL bins; class scores in
  softmax mode): a softmax is shift-invariant, so this keeps the teacher's ranking and drops its scale. A Bernoulli
  (sigmoid) score is not shift-invariant, so sigmoid class logits are never standardised.
- `ClassScoreKL`: KL on the class scores of every anchor. YOLOv8-style heads score each class with an independent
  sigmoid, so by default the distribution is per-class Bernoulli (a 2-way softmax over (z, 0)); `dist="softmax"`
  is a distribution over the classes instead. Interpretation, not from the paper.
- `BoxBinKL`: KL on the reg_max-bin DFL distribution of each of the 4 box sides (as YOLOv6).
- `ForegroundWeights`: per-anchor weights toward what either model calls an object: the teacher's and the student's
  top class confidence and the positives of the student's task-aligned assigner (student false positives count).
- `CosineDecay`: the distillation weight falls from 1 to 0.01 with a cosine over training (as YOLOv6).
- `EnhancedKL`: the two terms, each switchable, so an ablation can show what each ingredient contributes.

Shapes: class logits (B, A, nc), DFL logits (B, A, 4 * reg_max) laid out side-major (side k, bin r at k*reg_max+r),
foreground mask (B, A); A is the number of anchors over all strides. Losses are scalars, averaged per unit weight.
Every statistic is per anchor, so an anchor of weight 0 gets no gradient.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

LOGIT_LIMIT = 1e4  # extreme logits are clipped here; log-softmax is exact far beyond it


def finite_logits(z):
    """Return z as fp32 with +-inf clipped to +-LOGIT_LIMIT (NaN is left alone so a broken student still shows)."""
    return z.float().clamp(-LOGIT_LIMIT, LOGIT_LIMIT)


def teacher_logits(cls, box):
    """Sanitise teacher logits (B, A, nc) and (B, A, 4*reg_max): fp32, no gradient, clipped to +-LOGIT_LIMIT.

    Returns (cls, box, ok): ok (B, A) bool is False where any teacher logit of the anchor is NaN or inf (an fp16
    overflow); those anchors are zeroed here and must get weight 0, since no distribution can be read from them.
    """
    cls, box = cls.detach().float(), box.detach().float()
    ok = torch.isfinite(cls).all(-1) & torch.isfinite(box).all(-1)
    keep = ok.unsqueeze(-1)
    cls, box = (z.where(keep, 0.0).clamp(-LOGIT_LIMIT, LOGIT_LIMIT) for z in (cls, box))
    return cls, box, ok


def exact_dtype(x):
    """The dtype the KL terms are computed in for tensors on x's device: float64, or fp32 where the device has no
    float64 (MPS)."""
    return torch.float32 if x.device.type == "mps" else torch.float64


def weighted_mean(x, w):
    """Sum of x * w over all elements divided by the weight sum (at least 1, so empty foregrounds stay finite)."""
    return (x * w).sum() / w.sum().clamp(min=1.0)


class TemperedKL(nn.Module):
    """KL(teacher || student) along `dim` between softmax(t / T) and softmax(s / T), scaled by T^2.

    Args:
        T (float): temperature (> 0); the T^2 factor keeps gradient magnitudes comparable across temperatures.
    """

    def __init__(self, T=2.0):
        super().__init__()
        if T <= 0:
            raise ValueError(f"distillation temperature sd_T must be > 0, got {T}")
        self.T = float(T)

    def forward(self, s, t, dim=-1):
        """s, t: logits of equal shape; returns the KL summed over `dim` (that dim removed), fp32.

        Computed in float64: at high T (YOLOv6's 20) both distributions are nearly uniform, the KL of an anchor is
        ~1e-9, and fp32 rounding of the log-probabilities made 40 % of them negative. (MPS has no float64: fp32.)
        """
        dtype = exact_dtype(s)
        log_ps = F.log_softmax(s.to(dtype) * (1 / self.T), dim=dim)
        log_pt = F.log_softmax(t.to(dtype) * (1 / self.T), dim=dim)
        return (F.kl_div(log_ps, log_pt, reduction="none", log_target=True).sum(dim) * self.T**2).float()


class TemperedBernoulliKL(TemperedKL):
    """Elementwise KL(Bernoulli(sigmoid(t / T)) || Bernoulli(sigmoid(s / T))), scaled by T^2.

    The same as TemperedKL over the 2-way logits (z, 0), in closed form: with a = t/T, b = s/T,
    KL = logsigmoid(a) - logsigmoid(b) - (1 - sigmoid(a)) * (a - b), exact for any finite logits.
    """

    def forward(self, s, t):
        """s, t: logits of equal shape; returns the elementwise KL (same shape), fp32.

        Computed in float64, as TemperedKL: for nearly equal logits the three terms cancel to ~1e-9, and in fp32
        29 % of such KLs came out negative. (MPS has no float64: fp32.)
        """
        dtype = exact_dtype(s)
        a, b = t.to(dtype) * (1 / self.T), s.to(dtype) * (1 / self.T)
        kl = F.logsigmoid(a) - F.logsigmoid(b) - torch.sigmoid(-a) * (a - b)
        return (kl * self.T**2).float()


class LogitStandardizer(nn.Module):
    """z -> (z - mean) / sqrt(var + eps) over the last dim (one distribution); identity when disabled.

    sqrt(var + eps) rather than std keeps the gradient finite when all logits are equal.
    """

    def __init__(self, enabled=True, eps=1e-5):
        super().__init__()
        self.enabled, self.eps = bool(enabled), eps

    def forward(self, z):
        if not self.enabled:
            return z
        z = z.float()
        z = z - z.mean(-1, keepdim=True)  # mean/square/rsqrt: several times faster than var_mean on CPU
        return z * torch.rsqrt(z.square().mean(-1, keepdim=True) + self.eps)


class ForegroundWeights(nn.Module):
    """Per-anchor distillation weights (B, A) toward the foreground.

    Args:
        mode (str | bool): 'all' (True): max(teacher top-class confidence, student top-class confidence (no
            gradient), assigned positive), so the student's false positives are distilled too; 'teacher': teacher
            confidence only; 'assigned': assigned positives only (teacher confidence where no assignment is known);
            'none' (False): every anchor weighs 1.
    """

    MODES = ("all", "teacher", "assigned", "none")

    def __init__(self, mode="all"):
        super().__init__()
        mode = {True: "all", False: "none"}.get(mode, mode)
        if mode not in self.MODES:
            raise ValueError(f"sd_fg must be one of {self.MODES} or a bool, got {mode!r}")
        self.mode = mode

    def forward(self, t_cls, s_cls=None, fg=None):
        """t_cls, s_cls: teacher and student class logits (B, A, nc); fg: assigned positives (B, A) bool, or None."""
        if self.mode == "none":
            return t_cls.new_ones(t_cls.shape[:2], dtype=torch.float32)
        if self.mode == "assigned" and fg is not None:
            return fg.float()
        w = t_cls.float().amax(-1).sigmoid()  # sigmoid is monotonic: max first, on nc times fewer values
        if self.mode == "all":
            if s_cls is not None:
                w = torch.maximum(w, s_cls.detach().float().amax(-1).sigmoid().nan_to_num(0.0))
            if fg is not None:
                w = torch.maximum(w, fg.float())
        return w


class CosineDecay:
    """Distillation weight at training progress p in [0, 1]: final + (1 - final) * (1 + cos(pi * p)) / 2; 1 if off."""

    def __init__(self, enabled=True, final=0.01):
        self.enabled, self.final = bool(enabled), final

    def __call__(self, progress):
        if not self.enabled:
            return 1.0
        p = min(max(float(progress), 0.0), 1.0)
        return self.final + (1.0 - self.final) * 0.5 * (1.0 + math.cos(math.pi * p))


class ClassScoreKL(nn.Module):
    """Weighted per-anchor KL on class scores.

    Args:
        T (float): temperature.
        standardize (bool): standardise each anchor's logits over the classes first ('softmax' only: a Bernoulli
            score is not shift-invariant, so 'sigmoid' logits are used as they are).
        dist (str): 'sigmoid': sum over classes of Bernoulli KLs; 'softmax': one distribution over the classes.
    """

    def __init__(self, T=2.0, standardize=True, dist="sigmoid"):
        super().__init__()
        if dist not in {"sigmoid", "softmax"}:
            raise ValueError(f"sd_cls_dist must be 'sigmoid' or 'softmax', got {dist!r}")
        self.dist = dist
        self.kl = TemperedBernoulliKL(T) if dist == "sigmoid" else TemperedKL(T)
        self.standardize = LogitStandardizer(enabled=standardize and dist == "softmax")

    def forward(self, s, t, w):
        """s, t: student and teacher class logits (B, A, nc); w: anchor weights (B, A). Returns a scalar."""
        kl = self.kl(self.standardize(s), self.standardize(t))
        return weighted_mean(kl.sum(-1) if self.dist == "sigmoid" else kl, w)


class BoxBinKL(nn.Module):
    """Weighted per-anchor KL on the DFL bin distributions, averaged over the 4 box sides.

    Args:
        reg_max (int): bins per side.
        T (float): temperature.
        standardize (bool): standardize each side's bin logits first.
    """

    def __init__(self, reg_max=16, T=2.0, standardize=True):
        super().__init__()
        self.reg_max = reg_max
        self.kl = TemperedKL(T)
        self.standardize = LogitStandardizer(enabled=standardize)

    def forward(self, s, t, w):
        """s, t: student and teacher DFL logits (B, A, 4 * reg_max); w: anchor weights (B, A). Returns a scalar."""
        b, a, _ = s.shape
        s = self.standardize(s.reshape(b, a, 4, self.reg_max))
        t = self.standardize(t.reshape(b, a, 4, self.reg_max))
        return weighted_mean(self.kl(s, t).mean(-1), w)


class EnhancedKL(nn.Module):
    """The enhanced-KL self-distillation loss: [class term, box term], each gain * decay(progress) * weighted KL.

    Args:
        reg_max (int): DFL bins per side; 1 (no DFL) turns the box term off.
        T (float): temperature of both terms.
        cls_gain (float): class-term gain (0 turns it off).
        dfl_gain (float): box-term gain (0 turns it off).
        standardize (bool): logit standardization of softmax distributions (the "enhanced" part).
        foreground (str | bool): anchor weighting, see ForegroundWeights.
        cosine (bool): cosine decay of both gains over training.
        cls_dist (str): class score distribution, see ClassScoreKL.

    Examples:
        >>> loss = EnhancedKL(reg_max=16)
        >>> s_cls, s_box = torch.randn(2, 84, 3, requires_grad=True), torch.randn(2, 84, 64)
        >>> loss(s_cls, s_cls.detach(), s_box, s_box, progress=0.0)  # tensor([0., 0.]): student == teacher
    """

    def __init__(
        self,
        reg_max=16,
        T=2.0,
        cls_gain=1.0,
        dfl_gain=1.0,
        standardize=True,
        foreground="all",
        cosine=True,
        cls_dist="sigmoid",
    ):
        super().__init__()
        self.T, self.cls_gain = float(T), float(cls_gain)
        self.dfl_gain = float(dfl_gain) if reg_max > 1 else 0.0
        self.weights = ForegroundWeights(foreground)
        self.decay = CosineDecay(cosine)
        self.cls = ClassScoreKL(T, standardize, cls_dist)
        self.box = BoxBinKL(reg_max, T, standardize)

    def forward(self, s_cls, t_cls, s_box, t_box, fg=None, progress=0.0):
        """Student/teacher class logits (B, A, nc) and DFL logits (B, A, 4*reg_max); fg (B, A) or None.

        Returns a (2,) fp32 tensor [class term, box term]; the teacher side carries no gradient.
        """
        t_cls, t_box, ok = teacher_logits(t_cls, t_box)
        s_cls, s_box = finite_logits(s_cls), finite_logits(s_box)
        w = self.weights(t_cls, s_cls, None if fg is None else fg.detach()) * ok
        decay = self.decay(progress)
        zero = s_cls.new_zeros(())
        cls = self.cls(s_cls, t_cls, w) * (self.cls_gain * decay) if self.cls_gain else zero
        box = self.box(s_box, t_box, w) * (self.dfl_gain * decay) if self.dfl_gain else zero
        return torch.stack((cls, box))
