# sdgas-ultra, AGPL-3.0
"""Small tensor operations shared by the layers."""

import torch


def muladd(a, b, c):
    """a + b * c (broadcasting) as one kernel, torch.addcmul, in eager mode. While tracing for export it is a mul and
    an add: what ONNX exports addcmul to anyway, and what PNNX (NCNN export) converts, where aten::addcmul fails."""
    if torch.jit.is_tracing():
        return a + b * c
    return torch.addcmul(a, b, c)
