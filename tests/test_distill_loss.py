# sdgas-ultra, AGPL-3.0
"""Specification of the enhanced-KL self-distillation loss (sdgas_ultra.distill.kl): pure torch, no training."""

import math

import pytest
import torch

from sdgas_ultra.distill.kl import (
    CosineDecay,
    EnhancedKL,
    ForegroundWeights,
    LogitStandardizer,
    TemperedBernoulliKL,
    TemperedKL,
)
from sdgas_ultra.distill.yolov6 import YOLOv6KL

B, A, NC, R = 2, 84, 3, 16  # batch, anchors (8x8 + 4x4 + 2x2 at imgsz 64), classes, DFL bins

ALL_ON = dict(standardize=True, foreground="all", cosine=True, cls_dist="sigmoid")
VARIANTS = [
    ALL_ON,
    dict(ALL_ON, standardize=False),
    dict(ALL_ON, foreground="none"),
    dict(ALL_ON, foreground="teacher"),
    dict(ALL_ON, foreground="assigned"),
    dict(ALL_ON, cosine=False),
    dict(ALL_ON, cls_dist="softmax"),
    dict(ALL_ON, cls_dist="softmax", standardize=False),
]


def logits(seed, scale=3.0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(B, A, NC, generator=g) * scale, torch.randn(B, A, 4 * R, generator=g) * scale


def foreground(seed=0):
    return torch.rand(B, A, generator=torch.Generator().manual_seed(seed)) > 0.8


@pytest.mark.parametrize("cfg", VARIANTS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_kl_is_zero_when_student_equals_teacher(cfg):
    cls, box = logits(0)
    out = EnhancedKL(reg_max=R, T=2.0, **cfg)(cls, cls.clone(), box, box.clone(), fg=foreground(), progress=0.3)
    assert torch.allclose(out, torch.zeros(2), atol=1e-6), out


@pytest.mark.parametrize("cfg", VARIANTS, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
def test_kl_is_positive_when_student_differs(cfg):
    (s_cls, s_box), (t_cls, t_box) = logits(0), logits(1)
    out = EnhancedKL(reg_max=R, T=2.0, **cfg)(s_cls, t_cls, s_box, t_box, fg=foreground(), progress=0.3)
    assert (out > 1e-4).all(), out


def test_gradients_reach_only_the_student():
    (s_cls, s_box), (t_cls, t_box) = logits(0), logits(1)
    for x in (s_cls, s_box, t_cls, t_box):
        x.requires_grad_(True)
    EnhancedKL(reg_max=R)(s_cls, t_cls, s_box, t_box, fg=foreground()).sum().backward()
    assert s_cls.grad.abs().sum() > 0 and s_box.grad.abs().sum() > 0
    assert t_cls.grad is None and t_box.grad is None


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("cfg", VARIANTS[:3] + VARIANTS[-2:], ids=lambda c: "-".join(f"{v}" for v in c.values()))
def test_loss_is_finite_under_autocast_with_extreme_logits(dtype, cfg):
    big = torch.finfo(dtype).max
    (s_cls, s_box), (t_cls, t_box) = logits(0, scale=1e4), logits(1, scale=1e4)
    s_cls[0, :5], t_cls[1, :5] = big, -big  # saturated fp16/bf16 values
    t_box[0, 0], s_box[1, 1] = float("inf"), float("-inf")  # an overflowed teacher, a broken student bin
    s_cls, s_box, t_cls, t_box = (x.to(dtype) for x in (s_cls, s_box, t_cls, t_box))
    s_cls.requires_grad_(True)
    s_box.requires_grad_(True)
    with torch.autocast("cpu", dtype=dtype):
        out = EnhancedKL(reg_max=R, T=2.0, **cfg)(s_cls, t_cls, s_box, t_box, fg=foreground())
        out.sum().backward()
    assert out.dtype == torch.float32 and torch.isfinite(out).all(), out
    assert torch.isfinite(s_cls.grad).all() and torch.isfinite(s_box.grad).all()


def test_loss_is_finite_for_constant_logits():
    cls, box = torch.zeros(B, A, NC, requires_grad=True), torch.zeros(B, A, 4 * R, requires_grad=True)
    out = EnhancedKL(reg_max=R)(cls, torch.ones(B, A, NC), box, torch.ones(B, A, 4 * R))
    out.sum().backward()
    assert torch.isfinite(out).all() and torch.isfinite(cls.grad).all() and torch.isfinite(box.grad).all()


def test_zero_gain_turns_a_term_off():
    (s_cls, s_box), (t_cls, t_box) = logits(0), logits(1)
    assert EnhancedKL(reg_max=R, cls_gain=0)(s_cls, t_cls, s_box, t_box)[0] == 0
    assert EnhancedKL(reg_max=R, dfl_gain=0)(s_cls, t_cls, s_box, t_box)[1] == 0
    assert EnhancedKL(reg_max=1, dfl_gain=1)(s_cls, t_cls, s_box[..., :4], t_box[..., :4])[1] == 0  # no DFL head


def test_gains_scale_the_terms_linearly():
    (s_cls, s_box), (t_cls, t_box) = logits(0), logits(1)
    one = EnhancedKL(reg_max=R)(s_cls, t_cls, s_box, t_box)
    two = EnhancedKL(reg_max=R, cls_gain=2.0, dfl_gain=3.0)(s_cls, t_cls, s_box, t_box)
    assert torch.allclose(two, one * torch.tensor([2.0, 3.0]))


def test_standardization_ignores_the_teachers_scale_and_offset_in_softmax_distributions():
    cls, box = logits(0)
    confident = (cls * 4 + 2, box * 4 - 1)  # a teacher that is sure of the same ranking
    kw = dict(reg_max=R, cls_dist="softmax")
    on = EnhancedKL(standardize=True, **kw)(cls, confident[0], box, confident[1])
    off = EnhancedKL(standardize=False, **kw)(cls, confident[0], box, confident[1])
    assert torch.allclose(on, torch.zeros(2), atol=1e-5) and (off > 1e-2).all()


def bernoulli_kl(t, s, T=1.0):
    """KL(Bern(sigmoid(t/T)) || Bern(sigmoid(s/T))) * T^2 for python floats, from the definition."""
    p, q = 1 / (1 + math.exp(-t / T)), 1 / (1 + math.exp(-s / T))
    return (p * math.log(p / q) + (1 - p) * math.log((1 - p) / (1 - q))) * T**2


def test_sigmoid_class_scores_are_not_standardised():
    """A Bernoulli score is not shift-invariant: p(wrong class) = 0.03 must stay 0.03, so a student that is off by a
    constant shift must pay for it even with sd_std=True (standardisation would call the two equal)."""
    t = torch.tensor([[[4.0, math.log(0.03 / 0.97)]]])  # one anchor: class 0 sure, class 1 at p = 0.03
    s = t + 3.0
    box = torch.zeros(1, 1, 4 * R)
    kw = dict(reg_max=R, T=1.0, foreground="none", cosine=False, dfl_gain=0)
    expected = bernoulli_kl(4.0, 7.0) + bernoulli_kl(math.log(0.03 / 0.97), math.log(0.03 / 0.97) + 3.0)
    on = EnhancedKL(standardize=True, **kw)(s, t, box, box)[0]
    off = EnhancedKL(standardize=False, **kw)(s, t, box, box)[0]
    assert on.item() == pytest.approx(expected, rel=1e-4) and on.item() == pytest.approx(off.item(), rel=1e-6)


@pytest.mark.parametrize("cls_dist", ["sigmoid", "softmax"])
def test_no_gradient_reaches_anchors_of_weight_zero(cls_dist):
    """Every statistic is per anchor: an anchor the weights leave out gets exactly no gradient (sd_std on)."""
    (s_cls, s_box), (t_cls, t_box) = logits(0), logits(1)
    s_cls.requires_grad_(True)
    s_box.requires_grad_(True)
    fg = torch.zeros(B, A, dtype=torch.bool)
    fg[0, 5] = True
    loss = EnhancedKL(reg_max=R, standardize=True, foreground="assigned", cls_dist=cls_dist)
    loss(s_cls, t_cls, s_box, t_box, fg=fg).sum().backward()
    for grad in (s_cls.grad, s_box.grad):
        assert grad[0, 5].abs().sum() > 0
        grad[0, 5] = 0
        assert torch.count_nonzero(grad) == 0


def test_logit_standardizer_gives_zero_mean_unit_variance():
    z = torch.randn(4, 10, 16) * 7 + 3
    out = LogitStandardizer()(z)
    assert torch.allclose(out.mean(-1), torch.zeros(4, 10), atol=1e-5)
    assert torch.allclose(out.var(-1, correction=0), torch.ones(4, 10), atol=1e-3)
    assert LogitStandardizer(enabled=False)(z) is z


def test_tempered_kl_matches_the_definition_times_T_squared():
    s, t, T = torch.randn(5, 7), torch.randn(5, 7), 3.0
    p, q = (t / T).softmax(-1), (s / T).softmax(-1)
    expected = (p * (p.log() - q.log())).sum(-1) * T**2
    assert torch.allclose(TemperedKL(T)(s, t), expected, atol=1e-5)
    with pytest.raises(ValueError, match="temperature"):
        TemperedKL(0)


def test_tempered_kl_stays_exact_for_nearly_uniform_distributions():
    """YOLOv6's class term for a student close to its teacher: softmax(sigmoid(logits) / 20) over 6 classes is almost
    uniform, an anchor's KL is ~1e-9, and every one must still be >= 0 and their sum equal the float64 definition
    (in fp32, 40 % of them came out negative and the sum was 5 % off)."""
    torch.manual_seed(0)
    s, t, T = (0.01 * torch.randn(8400, 6)).sigmoid(), (0.01 * torch.randn(8400, 6)).sigmoid(), 20.0
    p, q = (t.double() / T).softmax(-1), (s.double() / T).softmax(-1)
    expected = (p * (p.log() - q.log())).sum(-1) * T**2
    got = TemperedKL(T)(s, t)
    assert got.dtype == torch.float32 and (got >= 0).all()
    assert got.double().sum().item() == pytest.approx(expected.sum().item(), rel=1e-5)


def test_bernoulli_kl_stays_exact_for_nearly_equal_logits():
    """The default class term (per-class Bernoulli KL) for a student close to its teacher: each KL is ~1e-9, and
    every one must still be >= 0 and their sum equal the float64 definition (in fp32, 29 % came out negative)."""
    torch.manual_seed(0)
    t = 4 * torch.randn(8400, 6)
    s, T = t + 1e-3 * torch.randn(8400, 6), 2.0
    p, q = (t.double() / T).sigmoid(), (s.double() / T).sigmoid()
    expected = (p * (p / q).log() + (1 - p) * ((1 - p) / (1 - q)).log()) * T**2
    got = TemperedBernoulliKL(T)(s, t)
    assert got.dtype == torch.float32 and (got >= 0).all()
    assert got.double().sum().item() == pytest.approx(expected.sum().item(), rel=1e-5)


def test_sigmoid_class_kl_is_a_sum_of_bernoulli_kls():
    s, t, T = torch.randn(1, 4, NC), torch.randn(1, 4, NC), 2.0
    p, q = (t / T).sigmoid(), (s / T).sigmoid()
    bern = (p * (p / q).log() + (1 - p) * ((1 - p) / (1 - q)).log()).sum(-1) * T**2  # (1, 4)
    loss = EnhancedKL(reg_max=R, T=T, standardize=False, foreground="none", cosine=False, dfl_gain=0)
    out = loss(s, t, torch.zeros(1, 4, 4 * R), torch.zeros(1, 4, 4 * R))
    assert torch.allclose(out[0], bern.mean(), atol=1e-5)


def test_foreground_weights_favour_teacher_and_student_confidence_and_assigned_positives():
    t_cls = torch.full((1, 4, NC), -10.0)
    s_cls = torch.full((1, 4, NC), -10.0)
    t_cls[0, 1, 0] = 5.0  # teacher sure of anchor 1
    s_cls[0, 3, 2] = 2.0  # student fairly sure of anchor 3: a false positive if the teacher disagrees
    fg = torch.tensor([[False, False, True, False]])  # assigner picked anchor 2
    sig = [1 / (1 + math.exp(-x)) for x in (-10.0, 5.0, 2.0)]
    expected = torch.tensor([sig[0], sig[1], 1.0, sig[2]])
    assert torch.allclose(ForegroundWeights("all")(t_cls, s_cls, fg)[0], expected, atol=1e-6)
    assert torch.equal(ForegroundWeights("assigned")(t_cls, s_cls, fg)[0], torch.tensor([0.0, 0.0, 1.0, 0.0]))
    teacher_only = torch.tensor([sig[0], sig[1], sig[0], sig[0]])
    assert torch.allclose(ForegroundWeights("teacher")(t_cls, s_cls, fg)[0], teacher_only)
    assert torch.equal(ForegroundWeights(False)(t_cls, s_cls, fg), torch.ones(1, 4))
    assert torch.equal(ForegroundWeights(True)(t_cls, s_cls, fg), ForegroundWeights("all")(t_cls, s_cls, fg))
    with pytest.raises(ValueError, match="sd_fg"):
        ForegroundWeights("sometimes")


def test_student_false_positives_are_distilled():
    """Teacher: background everywhere (logit -8); student: confident object at anchor 3 (logit 6), no positives.
    Weights: sigmoid(-8) on anchors 0-2, sigmoid(6) on anchor 3; their sum < 1, so the divisor is 1."""
    t = torch.full((1, 4, 1), -8.0)
    s = t.clone()
    s[0, 3, 0] = 6.0
    box = torch.zeros(1, 4, 4 * R)
    out = EnhancedKL(reg_max=R, T=1.0, cosine=False, dfl_gain=0)(s, t, box, box, fg=torch.zeros(1, 4, dtype=bool))
    expected = bernoulli_kl(-8.0, 6.0) / (1 + math.exp(-6.0))
    assert out[0].item() == pytest.approx(expected, rel=1e-4)


def test_non_finite_teacher_anchors_weigh_zero():
    """A NaN class logit or an inf box bin of the teacher (fp16 overflow) drops that anchor from both terms."""
    (s_cls, s_box), (t_cls, t_box) = logits(0), logits(1)
    s_cls.requires_grad_(True)
    t_cls[0, 1, 0], t_box[0, 2, 7] = float("nan"), float("inf")
    loss = EnhancedKL(reg_max=R, foreground="none", cosine=False)
    out = loss(s_cls, t_cls, s_box, t_box)
    out.sum().backward()
    keep = [0] + list(range(3, A))  # image 0 without anchors 1 and 2, and all of image 1
    s_rest, t_rest = (torch.cat((x[:1, keep], x[1:]), 1) for x in (s_cls.detach(), t_cls))
    sb_rest, tb_rest = (torch.cat((x[:1, keep], x[1:]), 1) for x in (s_box, t_box))
    expected = loss(s_rest, t_rest, sb_rest, tb_rest)  # the same mean over the 2 * A - 2 usable anchors
    assert torch.allclose(out, expected, rtol=1e-5)
    assert torch.count_nonzero(s_cls.grad[0, 1:3]) == 0


def test_foreground_weighting_ignores_background_disagreement():
    cls, box = logits(0)
    t_cls = torch.full_like(cls, -12.0)  # teacher: no object anywhere ...
    t_cls[:, :4] = 6.0  # ... except the first 4 anchors
    s_cls = t_cls.clone()
    s_cls[:, 40:] += torch.randn_like(s_cls[:, 40:])  # the student disagrees on background only
    fg_on = EnhancedKL(reg_max=R, standardize=False, foreground="teacher")(s_cls, t_cls, box, box)
    fg_off = EnhancedKL(reg_max=R, standardize=False, foreground="none")(s_cls, t_cls, box, box)
    assert fg_on[0] < 0.01 * fg_off[0]


def test_cosine_decay_falls_from_one_to_one_hundredth():
    decay = CosineDecay()
    assert decay(0.0) == pytest.approx(1.0) and decay(1.0) == pytest.approx(0.01)
    assert decay(0.5) == pytest.approx(0.505) and decay(2.0) == pytest.approx(0.01)
    assert all(decay(a / 10) > decay((a + 1) / 10) for a in range(10))
    assert CosineDecay(enabled=False)(0.9) == 1.0


def test_cosine_switch_scales_the_loss_by_training_progress():
    (s_cls, s_box), (t_cls, t_box) = logits(0), logits(1)
    start = EnhancedKL(reg_max=R)(s_cls, t_cls, s_box, t_box, progress=0.0)
    end = EnhancedKL(reg_max=R)(s_cls, t_cls, s_box, t_box, progress=1.0)
    flat = EnhancedKL(reg_max=R, cosine=False)(s_cls, t_cls, s_box, t_box, progress=1.0)
    assert torch.allclose(end, start * 0.01) and torch.allclose(flat, start)
    assert math.isclose(CosineDecay()(0.25), 0.01 + 0.99 * (1 + math.cos(math.pi / 4)) / 2)


# --- the authors' recipe (sd_mode=yolov6) ---------------------------------------------------------------------------
def softmax_kl(t, s, T):
    """KL(softmax(t/T) || softmax(s/T)) * T^2 for lists of python floats, from the definition."""
    p = [math.exp(x / T) for x in t]
    q = [math.exp(x / T) for x in s]
    p, q = [x / sum(p) for x in p], [x / sum(q) for x in q]
    return sum(a * math.log(a / b) for a, b in zip(p, q)) * T**2


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


def test_yolov6_class_term_is_a_softmax_over_probabilities_summed_over_all_anchors():
    """One image, two anchors (one background), two classes; YOLOv6 puts sigmoid probabilities / T into a softmax."""
    t = [[3.0, -2.0], [-6.0, -5.0]]
    s = [[0.0, 1.0], [2.0, -1.0]]
    box = torch.zeros(1, 2, 4 * R)
    out = YOLOv6KL(reg_max=R, T=20.0, cls_gain=2.0, cosine=False)(torch.tensor([s]), torch.tensor([t]), box, box)
    expected = 2.0 * sum(softmax_kl([sigmoid(x) for x in ta], [sigmoid(x) for x in sa], 20.0) for ta, sa in zip(t, s))
    assert out[0].item() == pytest.approx(expected, rel=1e-4)


def test_yolov6_box_term_covers_positives_only():
    """Box KL of the one positive anchor, from the definition; the other anchor's bins do not count."""
    T, t_bins, s_bins = 20.0, [float(r) for r in range(R)], [float(R - r) for r in range(R)]
    t_box, s_box = torch.zeros(1, 2, 4 * R), torch.zeros(1, 2, 4 * R)
    t_box[0, 0], s_box[0, 0] = torch.tensor(t_bins * 4), torch.tensor(s_bins * 4)  # the positive: all 4 sides alike
    s_box[0, 1] = torch.randn(4 * R) * 5  # a background anchor where the student disagrees
    cls = torch.zeros(1, 2, NC)
    fg = torch.tensor([[True, False]])
    out = YOLOv6KL(reg_max=R, T=T, dfl_gain=1.0, cosine=False)(cls, cls, s_box, t_box, fg=fg)
    assert out[0] == 0 and out[1].item() == pytest.approx(softmax_kl(t_bins, s_bins, T), rel=1e-4)
    assert YOLOv6KL(reg_max=R)(cls, cls, s_box, t_box, fg=None)[1] == 0  # no assigner mask: no positives


def test_yolov6_mode_defaults_and_bad_mode():
    from types import SimpleNamespace

    from sdgas_ultra.defaults import PLUGIN_CFG
    from sdgas_ultra.distill.trainer import distill_loss_from_args

    args = SimpleNamespace(**PLUGIN_CFG)
    enhanced = distill_loss_from_args(args, reg_max=R)
    assert isinstance(enhanced, EnhancedKL) and (enhanced.T, enhanced.cls_gain) == (2.0, 1.0)
    v6 = distill_loss_from_args(SimpleNamespace(**{**PLUGIN_CFG, "sd_mode": "yolov6"}), reg_max=R)
    assert isinstance(v6, YOLOv6KL) and (v6.T, v6.cls_gain, v6.dfl_gain) == (20.0, 2.0, 1.0)
    v6_t30 = distill_loss_from_args(SimpleNamespace(**{**PLUGIN_CFG, "sd_mode": "yolov6", "sd_T": 30}), reg_max=R)
    assert v6_t30.T == 30.0
    with pytest.raises(ValueError, match="sd_mode must be one of"):
        distill_loss_from_args(SimpleNamespace(**{**PLUGIN_CFG, "sd_mode": "v6"}), reg_max=R)


def test_yolov6_loss_is_zero_for_an_equal_student_and_finite_for_a_broken_teacher():
    (s_cls, s_box), (t_cls, t_box) = logits(0), logits(1)
    fg = foreground()
    assert torch.allclose(YOLOv6KL(reg_max=R)(s_cls, s_cls.clone(), s_box, s_box.clone(), fg=fg), torch.zeros(2))
    t_cls[0, 0, 0], t_box[1, 3, 0] = float("nan"), float("-inf")
    out = YOLOv6KL(reg_max=R)(s_cls, t_cls, s_box, t_box, fg=fg)
    assert torch.isfinite(out).all() and (out > 0).all()


# --- documentation ----------------------------------------------------------------------------------------------------
def test_readme_lists_every_plugin_key_with_its_default():
    from pathlib import Path

    from sdgas_ultra.defaults import PLUGIN_CFG

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("## Self-distillation keys", 1)[1].split("\n## ", 1)[0]
    table = {
        cells[0].strip(" `"): cells[1].strip(" `")
        for cells in (line.split("|")[1:] for line in section.splitlines() if line.startswith("| `"))
    }
    assert set(table) == set(PLUGIN_CFG)
    for key, default in PLUGIN_CFG.items():
        assert table[key] == str(default), f"README gives {key} default {table[key]}, defaults.py {default}"
