# sdgas-ultra, AGPL-3.0
"""2-D DCT-II written as matrix products (exports to ONNX; torch.fft does not).

All functions act on the last two dimensions of a tensor (..., H, W). The matrices are built from the input's
shape with tensor ops on every call, so a traced or exported graph stays valid for any H and W.
"""

import math

import torch


def dct_matrix(n, like):
    """Orthonormal DCT-II matrix D (n, n) with X = D @ x, built with the dtype/device of tensor `like`."""
    i = torch.arange(n, device=like.device, dtype=like.dtype).unsqueeze(0)  # sample index (1, n)
    k = i.T  # frequency index (n, 1)
    size = i[:, -1:] + 1  # n as a tensor, so a traced graph keeps it symbolic
    d = torch.cos(math.pi * (2 * i + 1) * k / (2 * size)) * torch.sqrt(2 / size)
    return torch.cat([d[:1] / math.sqrt(2.0), d[1:]], 0)  # the DC row has weight sqrt(1/n)


def dct2(x):
    """2-D orthonormal DCT-II of x (..., H, W) -> coefficients (..., H, W), low frequencies top-left."""
    return dct_matrix(x.shape[-2], x) @ x @ dct_matrix(x.shape[-1], x).T


def idct2(c):
    """Inverse of `dct2`: coefficients (..., H, W) -> signal (..., H, W)."""
    return dct_matrix(c.shape[-2], c).T @ c @ dct_matrix(c.shape[-1], c)


def lowpass_matrix(n, ratio, like):
    """Projector A (n, n) = D^T diag(m) D keeping the DCT frequencies k < ratio * n along one axis."""
    d = dct_matrix(n, like)
    k = torch.arange(n, device=like.device, dtype=like.dtype)
    keep = (k < ratio * (k[-1:] + 1)).to(like.dtype)
    return (d.T * keep) @ d


def frequency_split(x, ratio):
    """Split x (..., H, W) into (low, high) with low + high == x.

    low keeps the DCT coefficients in the top-left corner [:ratio*H, :ratio*W] (texture, shading); high is the rest
    (edges, boundaries). Separable, so it costs two (H,H)/(W,W) products instead of a DCT and an inverse.
    """
    low = lowpass_matrix(x.shape[-2], ratio, x) @ x @ lowpass_matrix(x.shape[-1], ratio, x).T
    return low, x - low
