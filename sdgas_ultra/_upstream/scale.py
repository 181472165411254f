# sdgas-ultra, AGPL-3.0
"""The width/depth rule of ultralytics' parse_model, for the plugin layers' `parse(c_in, args, scale)`.

Upstream applies it inline to its own rows; guard.parse_model_scaling_rule checks this copy against it.
"""

import math


class Scale:
    """Width/depth scaling of one model scale (a row of the YAML `scales:` table: depth, width, max_channels)."""

    def __init__(self, depth=1.0, width=1.0, max_channels=float("inf")):
        self.depth, self.width, self.max_channels = depth, width, max_channels

    def ch(self, c):
        """Scaled channel count: min(c, max_channels) * width, rounded up to a multiple of 8."""
        return int(math.ceil(min(c, self.max_channels) * self.width / 8) * 8)

    def n(self, n):
        """Scaled repeat count: n * depth rounded, at least 1; a single repeat stays 1."""
        return max(round(n * self.depth), 1) if n > 1 else n
