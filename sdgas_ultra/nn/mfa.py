# sdgas-ultra, AGPL-3.0
"""MFA, Multi-scale Feature Alignment (SD-GASNet, Sensors 2026, 26(1):23, section 3.1).

Brings every pyramid level to the size of one reference level and concatenates them on channels: finer levels are
average-pooled, coarser ones bilinearly upsampled, as the paper states. Our reading: the reference is chosen by
position in the input list (default 2, the stride-16 map of [P2, P3, P4, P5], as in Gold-YOLO's low-stage gather).
Deviation: `down="max"` (sdgasnet.yaml since 0.3) max-pools the finer levels instead: a 1-3 px scratch at stride 4
keeps its peak, where a 4x4 mean divides it by up to 4 before FGPEM's frequency split.
"""

import torch
from torch import nn

from .registry import expect_inputs, register
from .resize import resize_to


@register
class MFA(nn.Module):
    """Align a list of maps [(B, c_i, H_i, W_i)] to the size of xs[ref] -> (B, sum c_i, H_ref, W_ref). No weights."""

    down = "avg"  # class default: checkpoints pickled before `down` existed (0.2.0) load and keep averaging

    def __init__(self, ref=2, down="avg"):
        super().__init__()
        check_down(down)
        self.ref, self.down = ref, down

    def forward(self, xs):
        size = xs[self.ref].shape[-2:]
        return torch.cat([resize_to(x, size, self.down) for x in xs], 1)

    @classmethod
    def parse(cls, c_in, args, scale):
        """YAML: [[P2, P3, P4, P5], 1, MFA, [ref, down]] -> channels sum(c_in)."""
        expect_inputs(c_in, at_least=2)
        check_ref(args[0] if args else 2, c_in)
        return list(args), sum(c_in)


def check_ref(ref, c_in):
    """Raise ValueError unless ref indexes the row's input list."""
    if not isinstance(ref, int) or not -len(c_in) <= ref < len(c_in):
        raise ValueError(f"reference level {ref!r} is not a position in the 'from' list of {len(c_in)} layers")


def check_down(down):
    """Raise ValueError unless down names a pooling of the finer levels."""
    if down not in ("avg", "max"):
        raise ValueError(f"down must be 'avg' or 'max', got {down!r}")
