# sdgas-ultra, AGPL-3.0
"""The surfaces the synthetic datasets are drawn on, by kind: steel (synthetic-defects), pcb, textile.

Each surface module exposes NAME (the dataset's bare name), TITLE, CLASSES, CHANNELS (1 grayscale, 3 BGR), IMGSZ
(default image side), VERSION (bumped when its images change), STREAM (seed words that keep its random draws apart
from the other kinds') and `render(rng, primary, imgsz, easy) -> (img uint8 (H, W) or (H, W, 3), boxes float32
(k, 5) [cls, x0, y0, x1, y1] pixels)`. sdgas_ultra.data.synthetic writes any of them as a dataset.
"""

from . import pcb, steel, textile

SURFACES = {"steel": steel, "pcb": pcb, "textile": textile}


def surface(kind):
    """The surface module of `kind` ('steel', 'pcb' or 'textile')."""
    if kind not in SURFACES:
        raise ValueError(f"unknown synthetic surface kind {kind!r}; expected one of {', '.join(SURFACES)}")
    return SURFACES[kind]
