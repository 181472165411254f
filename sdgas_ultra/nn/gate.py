# sdgas-ultra, AGPL-3.0
"""The channel gate shared by CS and FGPEM: a two-layer MLP on pooled channel statistics, ending in a sigmoid."""

import torch.nn.functional as F
from torch import nn


def gate_mlp(c_in, hidden, c_out):
    """Conv2d 1x1 -> SiLU -> Conv2d 1x1 -> Sigmoid. Plain convolutions (BatchNorm on 1x1 pooled maps fails at batch
    size 1), stored as 1x1 convs so that 0.3 checkpoints load unchanged; `pooled_gate` runs them as linear layers."""
    return nn.Sequential(nn.Conv2d(c_in, hidden, 1), nn.SiLU(), nn.Conv2d(hidden, c_out, 1), nn.Sigmoid())


def pooled_gate(mlp, v):
    """mlp (see gate_mlp) applied to pooled statistics v (B, c_in) -> gate (B, c_out, 1, 1) in (0, 1).

    The same values as mlp(v[..., None, None]), computed as two F.linear: a 1x1 convolution of a 1x1 map is a matrix
    product, and runs as one (GEMM) instead of as a convolution kernel."""
    fc1, act, fc2, _ = mlp
    h = act(F.linear(v, fc1.weight.flatten(1), fc1.bias))
    return F.linear(h, fc2.weight.flatten(1), fc2.bias).sigmoid()[..., None, None]
