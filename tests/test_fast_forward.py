# sdgas-ultra, AGPL-3.0
"""Issue #21 rewrites: each layer's faster forward computes what its 0.3 forward computed (kept here as reference
functions), within 1e-5 on random inputs and weights, unfused and fused."""

import math
from copy import deepcopy

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from ultralytics.nn.tasks import BaseModel, load_checkpoint

from sdgas_ultra.nn import CS, FGPEM, Allocate
from sdgas_ultra.nn.dct import frequency_split, highpass, lowpass_matrix
from sdgas_ultra.nn.resize import resize_to

import sdgas_ultra

TOL = 1e-5


# ----------------------------------------------------------------------------------- 0.3 forwards (the reference)
def old_lowpass(n, ratio):
    """0.3: D^T diag(m) D built in float64 (cached there and cast to the input's dtype on every call)."""
    i = torch.arange(n, dtype=torch.float64)
    d = torch.cos(math.pi * (2 * i[None] + 1) * i[:, None] / (2 * n)) * math.sqrt(2 / n)
    d[0] /= math.sqrt(2.0)
    return (d.T * (i < ratio * n).double()) @ d


def old_frequency_split(x, ratio):
    low = old_lowpass(x.shape[-2], ratio).to(x.dtype) @ x @ old_lowpass(x.shape[-1], ratio).to(x.dtype).T
    return low, x - low


def old_fgpem(m, x):
    low, high = old_frequency_split(x, m.ratio)
    energy = high.abs()
    c = m.channel_gate(torch.cat([energy.mean((2, 3), keepdim=True), low.mean((2, 3), keepdim=True)], 1))
    s = m.spatial_gate(torch.cat([energy.mean(1, keepdim=True), energy.amax(1, keepdim=True)], 1))
    return x + m.cv(x * c + high * s)


def old_cs(m, xs):
    y, s = xs
    g = m.gate(torch.cat([y.mean((2, 3), keepdim=True), s.mean((2, 3), keepdim=True)], 1))
    return y + g * m.project(s)


def old_allocate(m, xs):
    x, g = xs
    size = x.shape[-2:]
    if g.shape[-1] >= x.shape[-1]:
        g = resize_to(g, size)
        return m.local(x) * m.gate(g).sigmoid() + m.embed(g)
    return m.local(x) * resize_to(m.gate(g), size).sigmoid() + resize_to(m.embed(g), size)


# ------------------------------------------------------------------------------------------------------ helpers
def randomized(module, seed=0, weights=True):
    """module in eval mode with random BatchNorm statistics (so that a wrong fold would show) and, if `weights`,
    random weights (else their initialisation: a deep model's outputs stay in range)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters() if weights else ():
            p.copy_(torch.randn(p.shape, generator=g) * 0.5)
        for b in module.modules():
            if isinstance(b, nn.BatchNorm2d):
                b.running_mean.copy_(torch.randn(b.num_features, generator=g) * 0.2)
                b.running_var.copy_(torch.rand(b.num_features, generator=g) + 0.5)
    return module.eval()


def fused(module):
    """A copy of module fused the way ultralytics fuses a model (BaseModel.fuse, the plugin's patch included)."""
    holder = BaseModel()
    holder.model = nn.ModuleList([deepcopy(module)])
    return holder.fuse(verbose=False).model[0]


def assert_close(new, old):
    assert new.shape == old.shape
    assert (new - old).abs().max().item() <= TOL * max(1.0, old.abs().max().item())


# ------------------------------------------------------------------------------------------------------- DCT
def test_lowpass_matrix_is_cached_once_per_dtype_and_equals_the_float64_one():
    x32, x64 = torch.zeros(1, 1, 12, 20), torch.zeros(1, 1, 12, 20, dtype=torch.float64)
    with torch.inference_mode():
        a = lowpass_matrix(12, 0.25, x32)
    assert not a.is_inference()  # built under inference_mode, still usable when training afterwards
    assert lowpass_matrix(12, 0.25, x32) is a and a.dtype == torch.float32  # no cast on later calls
    assert lowpass_matrix(12, 0.25, x64).dtype == torch.float64
    assert torch.equal(a, old_lowpass(12, 0.25).float())


@pytest.mark.parametrize("shape", [(2, 3, 16, 16), (1, 4, 12, 20), (2, 2, 20, 8)])
def test_highpass_equals_the_old_frequency_split(shape):
    x = torch.randn(shape)
    low, high = old_frequency_split(x, 0.25)
    assert_close(highpass(x, 0.25), high)
    assert_close(frequency_split(x, 0.25)[0], low)


def test_fgpem_equals_the_old_forward():
    m = randomized(FGPEM(16))
    x = torch.randn(2, 16, 12, 20)
    with torch.no_grad():
        assert_close(m(x), old_fgpem(m, x))
        assert_close(fused(m)(x), old_fgpem(m, x))


def test_fgpem_refuses_a_cutoff_that_keeps_no_frequency():
    with pytest.raises(ValueError, match="ratio must be > 0"):
        FGPEM(16, ratio=0)


# ------------------------------------------------------------------------------------------------------- CS
@pytest.mark.parametrize("proj, widths", [("channel", (16, 16)), ("conv", (16, 24))])
def test_cs_equals_the_old_forward(proj, widths):
    m = randomized(CS(list(widths), proj))
    xs = [torch.randn(2, c, 10, 14) for c in widths]
    with torch.no_grad():
        assert_close(m(xs), old_cs(m, xs))
        assert_close(fused(m)(xs), old_cs(m, xs))
    a, b = deepcopy(m).train(), deepcopy(m).train()  # training: BatchNorm on batch statistics
    new, old = a(xs), old_cs(b, xs)
    assert_close(new.detach(), old.detach())
    new.square().mean().backward()
    old.square().mean().backward()
    for p, q in zip(a.parameters(), b.parameters()):
        assert_close(p.grad, q.grad)
    assert_close(a.project.bn.running_var, b.project.bn.running_var)


def test_cs_channel_projection_runs_without_a_convolution():
    m = fused(randomized(CS([16, 16], "channel")))
    with torch.profiler.profile() as prof, torch.no_grad():
        m([torch.randn(1, 16, 8, 8), torch.randn(1, 16, 8, 8)])
    assert not [e.name for e in prof.events() if "conv" in e.name]


# ------------------------------------------------------------------------------------------------------- Allocate
@pytest.mark.parametrize("local_size", [(16, 24), (8, 12), (4, 6)], ids=["upsample", "same", "pool"])
def test_allocate_equals_the_old_forward(local_size):
    m = randomized(Allocate([12, 20], 16))
    xs = [torch.randn(2, 12, *local_size), torch.randn(2, 20, 8, 12)]
    with torch.no_grad():
        ref = old_allocate(m, xs)
        assert_close(m(xs), ref)
        f = fused(m)
        assert_close(f(xs), ref)
    assert not hasattr(f, "gate") and f.gate_embed.out_channels == 32  # one conv for gate and embedding once fused


def test_allocate_fuses_once_and_only_after_batchnorm_is_folded():
    m = Allocate([12, 20], 16)
    m.fuse_layer()  # BatchNorm still there: nothing to merge
    assert hasattr(m, "gate") and not hasattr(m, "gate_embed")
    f = fused(m)
    conv = f.gate_embed
    f.fuse_layer()
    assert f.gate_embed is conv


# ----------------------------------------------------------------------------------------------- whole model
def test_a_checkpoint_saved_as_ultralytics_saves_it_gives_the_old_outputs(tmp_path, monkeypatch):
    """A checkpoint of sdgas-r04 (every module; the default of 0.3-0.4) pickles the model object: one written before
    the rewrites has the same attributes as one written now (no layer gained or renamed a parameter), so it loads into
    the new forwards and must predict what the old forwards predicted, unfused (validation during training) and fused
    (predict, export)."""
    sdgas_ultra.activate()
    torch.manual_seed(0)  # the initialisation: the same model whatever ran before
    model = randomized(sdgas_ultra.SDGASModel("sdgas-r04-n.yaml").model, weights=False)
    for branch in model.model[-1].cv3:  # class logits around 0 instead of the rare-class prior: scores that vary
        torch.nn.init.zeros_(branch[-1].bias)
    model = model.half().float()  # the weights as a checkpoint stores them (fp16)
    weights = tmp_path / "last.pt"
    torch.save({"model": None, "ema": deepcopy(model).half(), "updates": 1, "train_args": {}}, weights)
    x = torch.rand(1, 3, 96, 128, generator=torch.Generator().manual_seed(1))
    with monkeypatch.context() as old, torch.no_grad():
        for cls, forward in ((CS, old_cs), (Allocate, old_allocate), (FGPEM, old_fgpem)):
            old.setattr(cls, "forward", forward)
        ref = model(x)[0]
    assert ref[:, 4:].std() > 1e-3 and ref[:, :4].std() > 1  # scores and boxes vary (scores to within 1e-5 below)
    loaded, _ = load_checkpoint(weights, device="cpu", fuse=False)
    loaded = loaded.float().eval()
    with torch.no_grad():
        for out in (loaded(x)[0], loaded.fuse(verbose=False)(x)[0]):
            assert_close(out[:, :4], ref[:, :4])  # boxes (pixels)
            assert_close(out[:, 4:], ref[:, 4:])  # class scores
    assert sum(isinstance(m, Allocate) and hasattr(m, "gate_embed") for m in loaded.modules()) == 3


def test_traced_layers_have_no_addcmul_which_ncnn_export_cannot_convert():
    layers = [(fused(randomized(CS([16, 16]))), [torch.randn(1, 16, 8, 8)] * 2),
              (fused(randomized(Allocate([12, 20], 16))), [torch.randn(1, 12, 8, 8), torch.randn(1, 20, 4, 4)]),
              (fused(randomized(FGPEM(16))), torch.randn(1, 16, 8, 8))]  # fmt: skip
    for layer, x in layers:
        traced = torch.jit.trace(layer, (x,))
        assert "addcmul" not in str(traced.inlined_graph)
        assert_close(traced(x), layer(x))
