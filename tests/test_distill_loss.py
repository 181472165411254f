# sdgas-ultra, AGPL-3.0
"""Specification of the enhanced-KL self-distillation loss (sdgas_ultra.distill.kl): pure torch, no training."""

import math

import pytest
import torch

from sdgas_ultra.distill.kl import CosineDecay, EnhancedKL, ForegroundWeights, LogitStandardizer, TemperedKL

B, A, NC, R = 2, 84, 3, 16  # batch, anchors (8x8 + 4x4 + 2x2 at imgsz 64), classes, DFL bins

ALL_ON = dict(standardize=True, foreground="both", cosine=True, cls_dist="sigmoid")
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


def test_standardization_ignores_the_teachers_scale_and_offset():
    cls, box = logits(0)
    confident = (cls * 4 + 2, box * 4 - 1)  # a teacher that is sure of the same ranking
    on = EnhancedKL(reg_max=R, standardize=True)(cls, confident[0], box, confident[1])
    off = EnhancedKL(reg_max=R, standardize=False)(cls, confident[0], box, confident[1])
    assert torch.allclose(on, torch.zeros(2), atol=1e-5) and (off > 1e-2).all()


def test_logit_standardizer_gives_zero_mean_unit_variance():
    z = torch.randn(4, 10, 16) * 7 + 3
    out = LogitStandardizer((-1,))(z)
    assert torch.allclose(out.mean(-1), torch.zeros(4, 10), atol=1e-5)
    assert torch.allclose(out.var(-1, correction=0), torch.ones(4, 10), atol=1e-3)
    assert LogitStandardizer((-1,), enabled=False)(z) is z


def test_tempered_kl_matches_the_definition_times_T_squared():
    s, t, T = torch.randn(5, 7), torch.randn(5, 7), 3.0
    p, q = (t / T).softmax(-1), (s / T).softmax(-1)
    expected = (p * (p.log() - q.log())).sum(-1) * T**2
    assert torch.allclose(TemperedKL(T)(s, t), expected, atol=1e-5)
    with pytest.raises(ValueError, match="temperature"):
        TemperedKL(0)


def test_sigmoid_class_kl_is_a_sum_of_bernoulli_kls():
    s, t, T = torch.randn(1, 4, NC), torch.randn(1, 4, NC), 2.0
    p, q = (t / T).sigmoid(), (s / T).sigmoid()
    bern = (p * (p / q).log() + (1 - p) * ((1 - p) / (1 - q)).log()).sum(-1) * T**2  # (1, 4)
    loss = EnhancedKL(reg_max=R, T=T, standardize=False, foreground="none", cosine=False, dfl_gain=0)
    out = loss(s, t, torch.zeros(1, 4, 4 * R), torch.zeros(1, 4, 4 * R))
    assert torch.allclose(out[0], bern.mean(), atol=1e-5)


def test_foreground_weights_favour_teacher_confidence_and_assigned_positives():
    t_cls = torch.full((1, 3, NC), -10.0)
    t_cls[0, 1, 0] = 5.0  # teacher sure of anchor 1
    fg = torch.tensor([[False, False, True]])  # assigner picked anchor 2
    both = ForegroundWeights("both")(t_cls, fg)[0]
    assert both[0] < 1e-3 and both[1] > 0.99 and both[2] == 1
    assert torch.equal(ForegroundWeights("assigned")(t_cls, fg)[0], torch.tensor([0.0, 0.0, 1.0]))
    assert ForegroundWeights("teacher")(t_cls, fg)[0, 2] < 1e-3
    assert torch.equal(ForegroundWeights(False)(t_cls, fg), torch.ones(1, 3))
    assert torch.equal(ForegroundWeights(True)(t_cls, fg), ForegroundWeights("both")(t_cls, fg))
    with pytest.raises(ValueError, match="sd_fg"):
        ForegroundWeights("sometimes")


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
