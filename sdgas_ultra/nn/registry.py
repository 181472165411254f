# sdgas-ultra, AGPL-3.0
"""Registry of the plugin's YAML layers and the channel rule each one declares.

A layer class registers itself with `@register`. It also defines `parse(c_in, args, scale)`, which turns a YAML
row's arguments into constructor arguments and output channels, so no core file lists our modules.
"""

import math

LAYERS = {}  # YAML module name -> class


def register(cls):
    """Class decorator: make `cls` usable by name in model YAML rows."""
    LAYERS[cls.__name__] = cls
    return cls


class Scale:
    """Width/depth scaling of one model scale (a row of the YAML `scales:` table)."""

    def __init__(self, depth=1.0, width=1.0, max_channels=float("inf")):
        self.depth, self.width, self.max_channels = depth, width, max_channels

    def ch(self, c):
        """Scaled channel count, rounded up to a multiple of 8 (as ultralytics does for its own layers)."""
        return int(math.ceil(min(c, self.max_channels) * self.width / 8) * 8)

    def n(self, n):
        """Scaled repeat count, at least 1."""
        return max(round(n * self.depth), 1) if n > 1 else n


def expect_inputs(c_in, count=None, at_least=None):
    """Raise ValueError unless c_in (a row's input channels) is a list of `count` (or >= `at_least`) inputs."""
    n = len(c_in) if isinstance(c_in, list) else 1
    if not isinstance(c_in, list) or (count and n != count) or (at_least and n < at_least):
        want = f"{count}" if count else f"at least {at_least}"
        raise ValueError(f"needs a 'from' list of {want} layers, got {n} input(s)")
