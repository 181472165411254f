# sdgas-ultra, AGPL-3.0
"""2-D DCT-II written as matrix products (exports to ONNX; torch.fft does not).

All functions act on the last two dimensions of a tensor (..., H, W). In eager mode the matrices are built once
per (size, cutoff, device, dtype) in float64, cast to that dtype and cached: a half-precision input (autocast)
never computes cosines in fp16, and no call rebuilds or casts them. While tracing or exporting, they are built from
the input's shape with tensor ops instead, so the graph has no size-specific constants and a dynamic-shape export
works for any H, W.
"""

import math

import torch

_CACHE = {}  # (kind, n, ratio, device, dtype) -> matrix built in float64, stored in dtype


def _symbolic():
    """True while torch.jit traces or torch.onnx exports: matrices must then be computed from the traced shape."""
    return torch.jit.is_tracing() or torch.jit.is_scripting() or torch.onnx.is_in_onnx_export()


def _build_dct(n, like, dtype):
    """Orthonormal DCT-II matrix D (n, n) in `dtype`; `n` may be a traced size (a 0-d tensor's worth of shape)."""
    i = torch.arange(n, device=like.device, dtype=dtype).unsqueeze(0)  # sample index (1, n)
    k = i.T  # frequency index (n, 1)
    size = i[:, -1:] + 1  # n as a tensor, so a traced graph keeps it symbolic
    d = torch.cos(math.pi * (2 * i + 1) * k / (2 * size)) * torch.sqrt(2 / size)
    return torch.cat([d[:1] / math.sqrt(2.0), d[1:]], 0)  # the DC row has weight sqrt(1/n)


def _build_lowpass(n, ratio, like, dtype):
    """Projector A (n, n) = D^T diag(m) D keeping the DCT frequencies k < ratio * n along one axis."""
    d = _build_dct(n, like, dtype)
    k = torch.arange(n, device=like.device, dtype=dtype)
    keep = (k < ratio * (k[-1:] + 1)).to(dtype)
    return (d.T * keep) @ d


def _matrix(kind, n, ratio, like):
    """The (n, n) matrix `kind` ('dct' or 'lowpass') in like's dtype and device: cached in eager mode."""
    if _symbolic():
        dtype = like.dtype if like.dtype in (torch.float32, torch.float64) else torch.float32
        m = _build_dct(n, like, dtype) if kind == "dct" else _build_lowpass(n, ratio, like, dtype)
        return m.to(like.dtype)
    key = (kind, int(n), float(ratio), like.device, like.dtype)
    m = _CACHE.get(key)
    if m is None:
        f64, n = torch.float64, int(n)
        with torch.no_grad(), torch.inference_mode(False):  # a plain tensor, usable in training after inference
            m = _build_dct(n, like, f64) if kind == "dct" else _build_lowpass(n, ratio, like, f64)
            m = _CACHE[key] = m.to(like.dtype)
    return m


def dct_matrix(n, like):
    """Orthonormal DCT-II matrix D (n, n) with X = D @ x, in the dtype/device of tensor `like`."""
    return _matrix("dct", n, 0.0, like)


def lowpass_matrix(n, ratio, like):
    """Projector A (n, n) = D^T diag(m) D keeping the DCT frequencies k < ratio * n along one axis."""
    return _matrix("lowpass", n, ratio, like)


def dct2(x):
    """2-D orthonormal DCT-II of x (..., H, W) -> coefficients (..., H, W), low frequencies top-left."""
    return dct_matrix(x.shape[-2], x) @ x @ dct_matrix(x.shape[-1], x).T


def idct2(c):
    """Inverse of `dct2`: coefficients (..., H, W) -> signal (..., H, W)."""
    return dct_matrix(c.shape[-2], c).T @ c @ dct_matrix(c.shape[-1], c)


def highpass(x, ratio):
    """High-frequency part x - low of x (..., H, W); low keeps the DCT corner [:ratio*H, :ratio*W] (texture, shading).

    low = A_H @ x @ A_W^T with the separable projectors A, so high costs two matrix products: A_H @ x, then one addmm
    x - (A_H x) A_W^T over the rows of x seen as a (N, W) matrix (a view when x is contiguous).
    """
    h, w = x.shape[-2:]
    rows = (lowpass_matrix(h, ratio, x) @ x).reshape(-1, w)
    return torch.addmm(x.reshape(-1, w), rows, lowpass_matrix(w, ratio, x).T, alpha=-1).view(x.shape)


def frequency_split(x, ratio):
    """Split x (..., H, W) into (low, high) with low + high == x; see `highpass`."""
    high = highpass(x, ratio)
    return x - high, high
