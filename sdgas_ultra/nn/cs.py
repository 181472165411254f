# sdgas-ultra, AGPL-3.0
"""CS, Channel Synchronization (SD-GASNet, Sensors 2026, 26(1):23).

The paper says CS compensates channel information lost during feature fusion and gives no formula. Our reading:
after a fusion block, the map it produced is re-synchronised with the map it fused from. A channel gate computed
from both maps' global statistics decides, per channel, how much of a projection of the source map to add back:
  out = fused + sigmoid(MLP([GAP(fused), GAP(source)])) * P(source).
The gate starts near 0.5 and the residual keeps the fused map intact, so CS can only add information. The projection
P is `proj`: 'channel' (default; a per-channel scale and shift) where the two maps have the same width, which is every
CS site of sdgasnet.yaml, or 'conv' (a full 1x1 Conv + BN, any widths). The per-channel form costs ~c instead of c^2
multiply-adds per pixel: the gate already mixes channels globally. It is stored as a depthwise 1x1 Conv + BN (so
checkpoints keep their keys) but runs as an elementwise multiply (-add, once fused): the same values in one kernel,
where a grouped convolution runs as many small ones.
"""

import torch
from torch import nn
from ultralytics.nn.modules import Conv

from .gate import gate_mlp, pooled_gate
from .ops import muladd
from .registry import expect_inputs, register


@register
class CS(nn.Module):
    """[fused (B, c_f, H, W), source (B, c_s, H, W)] -> (B, c_f, H, W); both maps at the same stride."""

    def __init__(self, c1, proj="channel", reduction=4):
        super().__init__()
        c_fused, c_source = c1
        hidden = max((c_fused + c_source) // reduction, 8)
        self.project = Conv(c_source, c_fused, 1, g=c_source if proj == "channel" else 1, act=False)
        self.gate = gate_mlp(c_fused + c_source, hidden, c_fused)

    def forward(self, xs):
        y, s = xs
        g = pooled_gate(self.gate, torch.cat([y.mean((2, 3)), s.mean((2, 3))], 1))
        return muladd(y, g, self.projection(s))

    def projection(self, s):
        """P(s) (B, c_f, H, W). 'channel': s times the depthwise weight (c, 1, 1, 1), then BN or, fused, its bias."""
        p = self.project
        if p.conv.groups == 1:
            return p(s)
        w = p.conv.weight.view(1, -1, 1, 1)
        return p.bn(s * w) if hasattr(p, "bn") else muladd(p.conv.bias.view(1, -1, 1, 1), s, w)

    @classmethod
    def parse(cls, c_in, args, scale):
        """YAML: [[fused, source], 1, CS, [proj, reduction]] -> channels of the fused map."""
        expect_inputs(c_in, count=2)
        proj = args[0] if args else "channel"
        if proj not in ("channel", "conv"):
            raise ValueError(f"proj must be 'channel' or 'conv', got {proj!r}")
        if proj == "channel" and c_in[0] != c_in[1]:
            raise ValueError(f"proj 'channel' needs maps of equal width, got {c_in[0]} and {c_in[1]}; use 'conv'")
        return [c_in, *args], c_in[0]
