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

`texture=True` (lead l5, issue #20) gives the low band a job of its own instead of only its mean: its deviation
from the channel mean, shade = low - mean(x) (shading, stains, large low-contrast defects), adds a channel
statistic (mean |shade|) and a spatial-gate input (channel mean of |shade|); the spatial gate then has two outputs,
and out = x + Conv1x1(x * channel_gate + high * gate_high + shade * gate_low).
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

    texture = False  # the class default: an FGPEM pickled in a checkpoint before 0.4.2 has no such attribute

    def __init__(self, c1, ratio=0.25, reduction=4, texture=False):
        super().__init__()
        if not ratio > 0:
            raise ValueError(f"ratio must be > 0 (DCT cutoff: low keeps the frequencies k < ratio * n), got {ratio!r}")
        self.ratio, self.texture = ratio, bool(texture)
        hidden, bands = max(c1 // reduction, 8), 1 + self.texture
        self.channel_gate = gate_mlp((1 + bands) * c1, hidden, c1)
        self.spatial_gate = nn.Sequential(nn.Conv2d(1 + bands, bands, 7, padding=3), nn.Sigmoid())
        self.cv = Conv(c1, c1, 1)

    def forward(self, x):
        high = highpass(x, self.ratio)
        energy, mean = high.abs(), x.mean((2, 3), keepdim=True)
        stats = [energy.mean((2, 3)), mean.flatten(1)]
        maps = [energy.mean(1, keepdim=True), energy.amax(1, keepdim=True)]
        if self.texture:
            shade = x - high - mean  # low band around its mean (B, C, H, W)
            stats.append(shade.abs().mean((2, 3)))
            maps.append(shade.abs().mean(1, keepdim=True))
        c = pooled_gate(self.channel_gate, torch.cat(stats, 1))
        s = self.spatial_gate(torch.cat(maps, 1))
        y = muladd(x * c, high, s[:, :1])
        return x + self.cv(muladd(y, shade, s[:, 1:]) if self.texture else y)

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
