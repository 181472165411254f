# sdgas-ultra, AGPL-3.0
"""Each SD-GASNet layer: output shapes at several input sizes, and gradients reaching every parameter."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from sdgas_ultra.nn import CS, FGPEM, FIGA, MFA, Allocate
from sdgas_ultra.nn.dct import dct2, frequency_split, idct2

SIZES = [(64, 64), (96, 160), (160, 96)]  # image sizes (multiples of 32), non-square included


def pyramid(h, w, chans=(8, 16, 24, 32), batch=2):
    """Backbone-like maps at strides 4, 8, 16, 32 for an (h, w) image."""
    return [torch.randn(batch, c, h // s, w // s) for c, s in zip(chans, (4, 8, 16, 32))]


def assert_all_grads(module, out):
    out.float().pow(2).mean().backward()
    missing = [n for n, p in module.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not missing, f"no gradient reached {missing}"


def test_dct_round_trip():
    x = torch.randn(2, 3, 10, 14, dtype=torch.float64)
    assert torch.allclose(idct2(dct2(x)), x, atol=1e-12)


def test_dct_matches_scipy_reference():
    fft = pytest.importorskip("scipy.fft")
    x = torch.randn(2, 3, 12, 7, dtype=torch.float64)
    np.testing.assert_allclose(dct2(x).numpy(), fft.dctn(x.numpy(), axes=(-2, -1), norm="ortho"), atol=1e-12)


def test_frequency_split_is_the_dct_corner_mask():
    fft = pytest.importorskip("scipy.fft")
    x = torch.randn(1, 2, 20, 12, dtype=torch.float64)
    low, high = frequency_split(x, 0.25)
    coeffs = fft.dctn(x.numpy(), axes=(-2, -1), norm="ortho")
    coeffs[..., 5:, :] = 0  # rows k < 0.25 * 20 kept
    coeffs[..., :, 3:] = 0  # columns k < 0.25 * 12 kept
    np.testing.assert_allclose(low.numpy(), fft.idctn(coeffs, axes=(-2, -1), norm="ortho"), atol=1e-12)
    assert torch.allclose(low + high, x)


def test_frequency_split_sends_edges_to_high_and_flat_to_low():
    flat = torch.full((1, 1, 16, 16), 3.0)
    _, high = frequency_split(flat, 0.25)
    assert high.abs().max() < 1e-5
    step = torch.zeros(1, 1, 16, 16)
    step[..., 8:] = 1.0
    _, high = frequency_split(step, 0.25)
    assert high[..., 6:10].abs().mean() > 3 * high[..., :3].abs().mean()  # high frequencies sit at the edge


@pytest.mark.parametrize("size", SIZES)
def test_mfa_aligns_all_levels_to_reference(size):
    xs = pyramid(*size)
    y = MFA(ref=2)(xs)
    assert y.shape == (2, 8 + 16 + 24 + 32, size[0] // 16, size[1] // 16)


def test_mfa_pools_finer_and_upsamples_coarser_levels():
    xs = [torch.ones(1, 1, 8, 8) * 2, torch.ones(1, 1, 4, 4), torch.ones(1, 1, 2, 2) * 5]
    y = MFA(ref=1)(xs)
    assert y.shape == (1, 3, 4, 4)
    assert torch.allclose(y[0, 0], torch.full((4, 4), 2.0)) and torch.allclose(y[0, 2], torch.full((4, 4), 5.0))


@pytest.mark.parametrize("down, expected", [("avg", 0.5), ("max", 1.0)])
def test_mfa_down_pooling_of_a_one_pixel_line(down, expected):
    """A vertical 1-px line in a stride-4 map, pooled 2x2 onto the stride-8 grid: each window holds 2 of 4 ones."""
    fine = torch.zeros(1, 1, 8, 8)
    fine[..., 5] = 1.0  # column 5 falls in the third 2-column window
    y = MFA(ref=1, down=down)([fine, torch.zeros(1, 1, 4, 4)])
    assert torch.allclose(y[0, 0, :, 2], torch.full((4,), expected))
    assert y[0, 0, :, [0, 1, 3]].abs().max() == 0


@pytest.mark.parametrize("size", [(100, 100), (64, 96)])
def test_mfa_max_pooling_handles_inexact_sizes(size):
    xs = [torch.randn(1, 2, size[0] // 4 + 1, size[1] // 4), torch.randn(1, 3, size[0] // 8, size[1] // 8)]
    assert MFA(ref=1, down="max")(xs).shape == (1, 5, size[0] // 8, size[1] // 8)


def test_mfa_pickled_before_down_existed_still_averages():
    """A 0.2.0 checkpoint holds MFA objects whose __dict__ has no 'down'."""
    old = MFA(ref=1)
    del old.__dict__["down"]
    fine = torch.zeros(1, 1, 8, 8)
    fine[..., 5] = 1.0
    y = old([fine, torch.zeros(1, 1, 4, 4)])
    assert torch.allclose(y[0, 0, :, 2], torch.full((4,), 0.5))


def test_mfa_rejects_an_unknown_pooling():
    with pytest.raises(ValueError, match="down must be 'avg' or 'max', got 'median'"):
        MFA(ref=1, down="median")


def test_mfa_handles_sizes_that_are_not_exact_multiples():
    y = MFA(ref=1)([torch.randn(1, 2, 25, 25), torch.randn(1, 3, 13, 13), torch.randn(1, 4, 7, 7)])
    assert y.shape == (1, 9, 13, 13)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("texture", [False, True])
def test_fgpem_keeps_shape_and_trains(size, texture):
    m = FGPEM(24, ratio=0.25, texture=texture)
    x = torch.randn(2, 24, size[0] // 16, size[1] // 16)
    y = m(x)
    assert y.shape == x.shape
    assert_all_grads(m, y)


def test_fgpem_texture_adds_the_low_band_around_its_mean():
    torch.manual_seed(0)
    m = FGPEM(8, texture=True).eval()
    x = torch.randn(1, 8, 16, 16)
    low, high = frequency_split(x, 0.25)
    shade = low - x.mean((2, 3), keepdim=True)
    energy = high.abs()
    c = m.channel_gate(torch.cat([energy.mean((2, 3)), x.mean((2, 3)), shade.abs().mean((2, 3))], 1)[..., None, None])
    s = m.spatial_gate(torch.cat([energy.mean(1, keepdim=True), energy.amax(1, keepdim=True),
                                  shade.abs().mean(1, keepdim=True)], 1))
    expected = x + m.cv(x * c + high * s[:, :1] + shade * s[:, 1:])
    torch.testing.assert_close(m(x), expected, atol=1e-5, rtol=1e-5)


def test_an_fgpem_pickled_before_the_texture_option_runs_as_plain_fgpem():
    torch.manual_seed(0)
    m, x = FGPEM(8).eval(), torch.randn(1, 8, 12, 12)
    before = m(x)
    del m.__dict__["texture"]  # what unpickling a 0.4.1 checkpoint gives
    torch.testing.assert_close(m(x), before)


def test_figa_refuses_an_unknown_fgpem_choice_when_built_in_python():
    with pytest.raises(ValueError, match="fgpem must be one of True, False, texture, got 'maybe'"):
        FIGA([8, 16, 24, 32], 40, fgpem="maybe")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("fgpem, down", [(True, "avg"), (False, "avg"), (True, "max"), ("texture", "max")])
def test_figa_gathers_to_reference_stride(size, fgpem, down):
    m = FIGA([8, 16, 24, 32], 40, n=1, ratio=0.25, ref=2, fgpem=fgpem, down=down)
    y = m(pyramid(*size))
    assert y.shape == (2, 40, size[0] // 16, size[1] // 16)
    assert_all_grads(m, y)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("stride", [8, 16, 32])
def test_allocate_injects_global_map_into_each_level(size, stride):
    m = Allocate([16, 40], 24)
    local = torch.randn(2, 16, size[0] // stride, size[1] // stride)
    y = m([local, torch.randn(2, 40, size[0] // 16, size[1] // 16)])
    assert y.shape == (2, 24, *local.shape[-2:])
    assert_all_grads(m, y)


@pytest.mark.parametrize("size", SIZES)
def test_cs_restores_source_channels_into_fused_map(size):
    m = CS([24, 16], proj="conv")
    fused, source = torch.randn(2, 24, size[0] // 8, size[1] // 8), torch.randn(2, 16, size[0] // 8, size[1] // 8)
    y = m([fused, source])
    assert y.shape == fused.shape
    assert_all_grads(m, y)


@pytest.mark.parametrize("layer", ["FGPEM", "CS"])
def test_layers_train_at_batch_size_one(layer):
    """Batch statistics of one sample still give every parameter a gradient (4x4 maps: BatchNorm has 16 values)."""
    if layer == "FGPEM":
        m, x = FGPEM(16), torch.randn(1, 16, 4, 4)
    else:
        m, x = CS([16, 8], "conv"), [torch.randn(1, 16, 4, 4), torch.randn(1, 8, 4, 4)]
    y = m.train()(x)
    assert y.shape == (1, 16, 4, 4) and torch.isfinite(y).all()
    assert_all_grads(m, y)


def test_cs_channel_projection_is_a_per_channel_affine_of_the_source():
    m = CS([16, 16], proj="channel").eval()
    assert m.project.conv.weight.shape == (16, 1, 1, 1)  # one scale per channel, no channel mixing
    fused, source = torch.zeros(1, 16, 4, 4), torch.zeros(1, 16, 4, 4)
    source[:, 3] = 1.0  # only channel 3 of the source is non-zero
    y = m([fused, source])
    changed = (y - m([fused, torch.zeros_like(source)])).abs().sum((0, 2, 3))
    assert changed[3] > 0 and changed.sum() == changed[3]  # so only channel 3 of the output moves


def test_cs_channel_projection_refuses_unequal_widths():
    with pytest.raises(ValueError, match="equal width"):
        CS.parse([24, 16], ["channel"], None)


def test_cached_dct_matrix_follows_the_input_size():
    from sdgas_ultra.nn.dct import dct_matrix

    fft = pytest.importorskip("scipy.fft")
    for n in (14, 40, 14):  # train at 224 (stride 16), predict at 640, then back: each size its own matrix
        x = torch.randn(1, 2, n, n)
        ref = fft.dctn(x.double().numpy(), axes=(-2, -1), norm="ortho")
        np.testing.assert_allclose(dct2(x).double().numpy(), ref, atol=1e-4)
        assert dct_matrix(n, x).dtype == torch.float32


def test_dct_of_half_input_uses_matrices_built_in_double():
    from sdgas_ultra.nn.dct import dct_matrix

    d = dct_matrix(64, torch.zeros(1, dtype=torch.float16))
    exact = dct_matrix(64, torch.zeros(1, dtype=torch.float64))
    assert d.dtype == torch.float16
    assert (d.double() - exact).abs().max() <= 2**-11  # fp16 rounding of exact values, not fp16 cosines


@pytest.mark.parametrize("shape, kernel", [((2, 3, 16, 24), (4, 4)), ((1, 5, 8, 8), (2, 2)), ((1, 2, 12, 8), (3, 2))])
def test_fast_max_pool_equals_max_pool2d(shape, kernel):
    from sdgas_ultra.nn.resize import max_pool

    x = torch.randn(shape, requires_grad=True)
    assert torch.equal(max_pool(x, kernel), F.max_pool2d(x, kernel))
    max_pool(x, kernel).sum().backward()  # gradient reaches exactly one input per window (no ties in random data)
    assert x.grad.sum() == shape[0] * shape[1] * (shape[2] // kernel[0]) * (shape[3] // kernel[1])


def test_fast_max_pool_exports_as_max_pool2d_when_traced():
    """Traced (ONNX, TorchScript export) the reshaped maximum is max_pool2d: runtimes run MaxPool fastest."""
    from sdgas_ultra.nn.resize import max_pool

    graph = str(torch.jit.trace(lambda x: max_pool(x, (4, 4)), torch.randn(1, 2, 16, 16)).graph)
    assert "aten::max_pool2d" in graph and "aten::amax" not in graph
