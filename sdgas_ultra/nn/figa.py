# sdgas-ultra, AGPL-3.0
"""FIGA, Frequency-domain Information Gathering-and-Allocation (SD-GASNet, Sensors 2026, 26(1):23, section 3.1).

Gather: MFA aligns all backbone levels to the reference level; a 1x1 Conv fuses them; FGPEM enhances the result;
a C2f block refines it into one global map. Allocate: each pyramid level receives that global map by injection,
  out = Conv(local) * sigmoid(Conv(global)) + Conv(global),
with the global map resized to the level (as in Gold-YOLO's inject). Once fused, the two convolutions of the global
map run as one (their weights stacked) followed by one resize. Where the paper is silent (fusion block, the
injection formula) we follow Gold-YOLO; `fgpem=False` gives the "FIGA without FGPEM" ablation step, `fgpem=texture`
FGPEM with its low band's texture job (lead l5), `down` is MFA's pooling of the finer levels ('avg' or 'max').
"""

import torch
from torch import nn
from ultralytics.nn.modules import C2f, Conv

from .fgpem import FGPEM, check_ratio
from .mfa import MFA, check_ref
from .ops import muladd
from .registry import expect_inputs, register
from .resize import resize_to

FGPEM_CHOICES = (True, False, "texture")  # FIGA's fgpem argument: on, off, on with the low band's texture job


@register
class FIGA(nn.Module):
    """Gather [P2..P5] (strides 4..32) into one enhanced global map (B, c2, H_ref, W_ref) at the reference stride."""

    def __init__(self, c1, c2, n=1, ratio=0.25, ref=2, fgpem=True, down="avg"):
        super().__init__()
        if fgpem not in FGPEM_CHOICES:
            raise ValueError(f"fgpem must be one of True, False, texture, got {fgpem!r}")
        self.align = MFA(ref, down)
        self.fuse = Conv(sum(c1), c2, 1)
        self.enhance = FGPEM(c2, ratio, texture=fgpem == "texture") if fgpem else nn.Identity()
        self.refine = C2f(c2, c2, n)

    def forward(self, xs):
        return self.refine(self.enhance(self.fuse(self.align(xs))))

    @classmethod
    def parse(cls, c_in, args, scale):
        """YAML: [[P2, P3, P4, P5], 1, FIGA, [c2, n, ratio, ref, fgpem, down]] -> channels scale.ch(c2)."""
        expect_inputs(c_in, at_least=2)
        c2, n, *rest = args
        check_ref(rest[1] if len(rest) > 1 else 2, c_in)
        check_ratio(rest[0] if rest else 0.25)
        return [c_in, scale.ch(c2), scale.n(n), *rest], scale.ch(c2)


@register
class Allocate(nn.Module):
    """Inject the global map into one level: [local (B, c_l, h, w), global (B, c_g, H, W)] -> (B, c2, h, w)."""

    def __init__(self, c1, c2):
        super().__init__()
        c_local, c_global = c1
        self.local = Conv(c_local, c2, 1, act=False)
        self.gate = Conv(c_global, c2, 1, act=False)
        self.embed = Conv(c_global, c2, 1, act=False)

    def forward(self, xs):
        gate, embed = self.global_terms(xs)
        return muladd(embed, self.local(xs[0]), gate.sigmoid())

    def global_terms(self, xs):
        """(gate before its sigmoid, embedding), each (B, c2, h, w) at the local level's size."""
        x, g = xs
        size = x.shape[-2:]
        if g.shape[-1] >= x.shape[-1]:  # pool first: the 1x1 convs then run on the smaller map
            g = resize_to(g, size)
        if hasattr(self, "gate_embed"):  # fused
            return resize_to(self.gate_embed(g), size).chunk(2, 1)
        return resize_to(self.gate(g), size), resize_to(self.embed(g), size)

    def fuse_layer(self):
        """Once BatchNorm is folded (BaseModel.fuse): replace gate and embed by one 1x1 conv of 2*c2 outputs."""
        if hasattr(self, "gate_embed") or hasattr(self.gate, "bn") or hasattr(self.embed, "bn"):
            return
        a, b = self.gate.conv, self.embed.conv
        merged = nn.Conv2d(a.in_channels, a.out_channels + b.out_channels, 1).to(a.weight)
        with torch.no_grad():
            merged.weight.copy_(torch.cat([a.weight, b.weight]))
            merged.bias.copy_(torch.cat([a.bias, b.bias]))
        self.gate_embed = merged.requires_grad_(a.weight.requires_grad)
        del self.gate, self.embed

    @classmethod
    def parse(cls, c_in, args, scale):
        """YAML: [[local, global], 1, Allocate, [c2]] -> channels scale.ch(c2)."""
        expect_inputs(c_in, count=2)
        return [c_in, scale.ch(args[0])], scale.ch(args[0])
