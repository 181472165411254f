# sdgas-ultra, AGPL-3.0
"""`sdgas` command: what the stock `yolo` CLI does not have (dataset tools, tiled prediction, explanations).

Training, validation, prediction and export stay with `yolo` (the plugin activates itself there).
Each sub-command lives next to the code it drives and registers its own arguments.
"""

import argparse
import importlib
import sys

# sub-command -> (module, function that adds the sub-parser); modules import heavy packages lazily
COMMANDS = {
    "synth": ("sdgas_ultra.data.synthetic", "add_parser"),
    "convert-voc": ("sdgas_ultra.data.voc", "add_parser"),
    "stats": ("sdgas_ultra.data.stats", "add_parser"),
    "tile": ("sdgas_ultra.data.tiling", "add_parser"),
    "predict-tiled": ("sdgas_ultra.tiled", "add_parser"),
    "explain": ("sdgas_ultra.explain", "add_parser"),
}


def build_parser():
    """Return the `sdgas` argument parser with every sub-command registered."""
    parser = argparse.ArgumentParser(prog="sdgas", description="sdgas-ultra tools (train with `yolo`).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module, func in COMMANDS.values():
        getattr(importlib.import_module(module), func)(sub)
    return parser


def main(argv=None):
    """Entry point of the `sdgas` console script; returns the process exit code."""
    args = build_parser().parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
