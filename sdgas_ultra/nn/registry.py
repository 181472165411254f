# sdgas-ultra, AGPL-3.0
"""Registry of the plugin's YAML layers and the channel rule each one declares.

A layer class registers itself with `@register`. It also defines `parse(c_in, args, scale)`, which turns a YAML
row's arguments into constructor arguments and output channels, so no core file lists our modules. `scale` is
upstream's width/depth rule (sdgas_ultra._upstream.scale.Scale): `scale.ch(c)` channels, `scale.n(n)` repeats.
"""

LAYERS = {}  # YAML module name -> class


def register(cls):
    """Class decorator: make `cls` usable by name in model YAML rows."""
    LAYERS[cls.__name__] = cls
    return cls


def expect_inputs(c_in, count=None, at_least=None):
    """Raise ValueError unless c_in (a row's input channels) is a list of `count` (or >= `at_least`) inputs."""
    n = len(c_in) if isinstance(c_in, list) else 1
    if not isinstance(c_in, list) or (count and n != count) or (at_least and n < at_least):
        want = f"{count}" if count else f"at least {at_least}"
        raise ValueError(f"needs a 'from' list of {want} layers, got {n} input(s)")
