# sdgas-ultra, AGPL-3.0
"""The command line of every benchmark: its parser and the option checks they share."""

import argparse


def parser(doc, name):
    """Parser of `python -m benchmarks.<name>`, described by the first line of the module docstring doc; --help shows
    the defaults."""
    return argparse.ArgumentParser(prog=f"python -m benchmarks.{name}", description=doc.split("\n")[0],
                                   formatter_class=argparse.ArgumentDefaultsHelpFormatter)


def at_least(parser, args, lows):
    """Exit with one line naming the option when an option is below its lowest value; lows: {dest: lowest}."""
    for key, low in lows.items():
        if getattr(args, key) < low:
            parser.error(f"--{key.replace('_', '-')} must be at least {low}, got {getattr(args, key)}")
