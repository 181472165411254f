# sdgas-ultra, AGPL-3.0
"""Parser set-up shared by the `sdgas` sub-commands whose --help shows defaults (convert-voc, stats, tile,
predict-tiled); each module adds its own arguments to the parser `add_command` returns."""

import argparse


def add_command(sub, name, run, doc, help):
    """Add sub-command `name`, handled by `run(args)`, to the sub-parsers `sub`; return its parser.

    `help` is its line in `sdgas --help`. Its own --help shows defaults, after a description: the paragraph of `doc`
    (the module docstring) that starts with "`sdgas NAME".
    """
    description = next(p for p in doc.split("\n\n") if p.startswith(f"`sdgas {name}"))
    p = sub.add_parser(name, help=help, description=description,
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.set_defaults(func=run)
    return p
