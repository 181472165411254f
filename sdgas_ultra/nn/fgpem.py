# sdgas-ultra, AGPL-3.0
"""FGPEM, Frequency-Guided Perception Enhancement Module (SD-GASNet, Sensors 2026, 26(1):23, section 3.1).

The paper splits a map with a DCT-based filter ("PDCT") into high frequencies (edges, defect boundaries) and low
frequencies (texture) and uses them to enhance the spatial representation. The formula is not published; our
reading, after HS-FPN's high-frequency perception and FcaNet's DCT channel descriptors:

- split: low keeps the DCT corner [:r*H, :r*W] (r = `ratio`, default 0.25), high = x - low;
- channel gate from the high-frequency energy and the low-frequency mean of each channel (low keeps the DC
  coefficient, so its mean is x's mean and low itself is never formed);
- spatial gate from the channel-wise mean and max of |high| (where the edges are);
- out = x + Conv1x1(x * channel_gate + high * spatial_gate).
"""

import torch
from torch import nn
from ultralytics.nn.modules import Conv

from .dct import highpass
from .gate import gate_mlp, pooled_gate
from .ops import muladd
from .registry import register


@register
class FGPEM(nn.Module):
    """Enhance x (B, C, H, W) -> (B, C, H, W) with a DCT high/low frequency split; any stride."""

    def __init__(self, c1, ratio=0.25, reduction=4):
        super().__init__()
        if not ratio > 0:
            raise ValueError(f"ratio must be > 0 (DCT cutoff: low keeps the frequencies k < ratio * n), got {ratio!r}")
        self.ratio = ratio
        hidden = max(c1 // reduction, 8)
        self.channel_gate = gate_mlp(2 * c1, hidden, c1)
        self.spatial_gate = nn.Sequential(nn.Conv2d(2, 1, 7, padding=3), nn.Sigmoid())
        self.cv = Conv(c1, c1, 1)

    def forward(self, x):
        high = highpass(x, self.ratio)
        energy = high.abs()
        c = pooled_gate(self.channel_gate, torch.cat([energy.mean((2, 3)), x.mean((2, 3))], 1))
        s = self.spatial_gate(torch.cat([energy.mean(1, keepdim=True), energy.amax(1, keepdim=True)], 1))
        return x + self.cv(muladd(x * c, high, s))

    @classmethod
    def parse(cls, c_in, args, scale):
        """YAML: [from, 1, FGPEM, [ratio]] -> channels c_in."""
        if isinstance(c_in, list):
            raise ValueError("takes one input layer, not a 'from' list")
        check_ratio(args[0] if args else 0.25)
        return [c_in, *args], c_in


def check_ratio(ratio):
    """Raise ValueError unless ratio (the DCT cutoff) is a number in (0, 1]."""
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 < ratio <= 1:
        raise ValueError(f"ratio (DCT cutoff) must be a number in (0, 1], got {ratio!r}")
