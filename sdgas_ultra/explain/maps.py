# sdgas-ultra, AGPL-3.0
"""Capture SD-GASNet's neck maps during prediction with forward hooks on the loaded model's own modules.

Nothing is changed in the layers and no second model runs; per forward pass the hooks keep (B, h, w) maps:

- FGPEM, hook on its `spatial_gate` (input (B, 2, h, w), output (B, 1, h, w), h, w at FIGA's reference stride):
  channel 0 of the input is the high-frequency energy mean_c|high| (|x - low| after the DCT split), the output is the
  spatial gate sigma(conv7x7([mean_c|high|, max_c|high|])). Both are read as they are, nothing is recomputed.
- Allocate, hook on the module (inputs [local, global], output (B, c2, h, w) at its level): the gate is recomputed
  from the hooked inputs by the module's own `global_terms` (unfused or fused alike), sigmoid(gate), then averaged
  over channels.

The hooks are closures, not bound methods: ultralytics' predictor runs a deep copy of the model, and a deep copy keeps
the same hook functions (a bound method would copy the recorder), so the copy reports here too. `active` turns them
off once the explanation is done.
"""

import math

import torch

from ..nn.fgpem import FGPEM
from ..nn.figa import Allocate

# kind -> (title, what it shows), in the words of docs/paper-mapping.md
TITLES = {
    "energy": ("FGPEM high frequencies mean|high|", "edges, defect boundaries"),
    "spatial": ("FGPEM spatial gate", "where the edges are"),
    "allocate": ("FIGA allocate gate", "sigmoid(Conv(global)): where the global map lets local features through"),
}


class MapRecorder:
    """Forward hooks on every FGPEM and Allocate of `model` (an nn.Module); use as a context manager.

    The hooks keep the maps of a whole batch; after each forward pass, call `maps()` once per image, in batch order
    (the order ultralytics yields its Results in): [(title, subtitle, map (h, w) float32 tensor on CPU)], FGPEM's
    first, then the Allocate gates by level.
    """

    def __init__(self, model):
        self.model = model
        self.fgpem = [m for m in model.modules() if isinstance(m, FGPEM)]
        self.allocate = [m for m in model.modules() if isinstance(m, Allocate)]
        self.active, self._handles, self._input, self._seen, self._taken = False, [], None, {}, 0

    def __enter__(self):
        self.active = True
        add = self._handles.append
        add(self.model.register_forward_pre_hook(self._input_hook()))
        for i, m in enumerate(self.fgpem):
            add(m.spatial_gate.register_forward_hook(self._fgpem_hook(i)))
        for i, m in enumerate(self.allocate):
            add(m.register_forward_hook(self._allocate_hook(i)))
        return self

    def __exit__(self, *exc):
        self.active = False
        for h in self._handles:
            h.remove()
        self._handles.clear()

    def _input_hook(self):
        def hook(module, args):
            if self.active:
                self._input = tuple(args[0].shape[-2:])  # letterboxed network input (H, W)
                self._seen, self._taken = {}, 0

        return hook

    def _fgpem_hook(self, i):
        def hook(module, args, out):
            if self.active:
                self._seen[("energy", i)] = args[0][:, 0]
                self._seen[("spatial", i)] = out[:, 0]

        return hook

    def _allocate_hook(self, i):
        def hook(module, args, out):
            if self.active:
                with torch.no_grad():  # the module's own gate path, unfused or fused alike
                    gate = module.global_terms(args[0])[0].sigmoid()
                self._seen[("allocate", i)] = gate.mean(1)

        return hook

    @property
    def input_shape(self):
        """(H, W) of the last network input (the letterboxed image), or None before any forward pass."""
        return self._input

    def maps(self):
        """[(title, subtitle, map)] of the next image of the last forward pass; titles name the stride or the level."""
        n = next(iter(self._seen.values())).shape[0] if self._seen else 0
        if self._taken >= n:
            raise RuntimeError("the explanation hooks did not fire for this image: the predictor ran another model")
        k, self._taken = self._taken, self._taken + 1
        order = {"energy": 0, "spatial": 1, "allocate": 2}
        rows = []
        for (kind, i), m in self._seen.items():
            stride = round(self._input[0] / m.shape[1])
            title, what = TITLES[kind]
            if kind == "allocate":
                where = f"into P{round(math.log2(stride))}"
            else:
                where = f"#{i + 1}, stride {stride}" if len(self.fgpem) > 1 else f"stride {stride}"
            rows.append(((order[kind], stride, i), (f"{title} ({where})", what, m[k].detach().float().cpu())))
        return [row for _, row in sorted(rows, key=lambda r: r[0])]
