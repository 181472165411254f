# sdgas-ultra, AGPL-3.0
"""Row checks and the row-by-row model builder behind the parse_model patch.

A model YAML that names a plugin layer is checked row by row (check_rows) and built row by row: plugin rows by their
own `parse` rule, stock rows by ultralytics' parser on a one-row model (build_stock_row), so channel and scaling
rules stay upstream's. YAMLs of stock layers only go to ultralytics' parser untouched.
"""

import logging

from ..base.errors import ModelYAMLError, closest
from .scale import Scale

# modules after which ultralytics' parse_model builds heads with the YOLO11-style classification branch (legacy=False)
LEGACY_OFF = ("C3k2", "A2C2f", "C2fCIB")


def _where(d, i, n_backbone):
    """'<file>: backbone row i' or '<file>: head row j (layer i)'."""
    row = f"backbone row {i}" if i < n_backbone else f"head row {i - n_backbone} (layer {i})"
    return f"{d.get('yaml_file', 'model YAML')}: {row}"


def is_known_module(m, plugin_layers):
    """True if module name m is a plugin layer, a torch.nn or torchvision.ops name, or an ultralytics class."""
    import torch
    from ultralytics.nn import tasks

    return (
        m in plugin_layers
        or (m.startswith("nn.") and hasattr(torch.nn, m[3:]))
        or m.startswith("torchvision.ops.")
        or isinstance(vars(tasks).get(m), type)
    )


def misspelt_plugin_layer(d, plugin_layers):
    """ModelYAMLError for the first unknown module of model dict d that is close to a plugin layer name, or None.

    Used on YAMLs without plugin layers, where it is the only check: an unknown module fails upstream anyway.
    """
    rows = list(d.get("backbone") or []) + list(d.get("head") or [])
    for i, row in enumerate(rows):
        m = row[2] if isinstance(row, (list, tuple)) and len(row) == 4 else None
        if isinstance(m, str) and not is_known_module(m, plugin_layers):
            near = closest(m, plugin_layers, n=1, cutoff=0.6)
            if near:
                return ModelYAMLError(
                    f"{_where(d, i, len(d.get('backbone') or []))} {row!r}: unknown module '{m}'; did you mean "
                    f"{near[0]}?"
                )
    return None


def check_rows(d, plugin_layers):
    """Validate every [from, repeats, module, args] row of model dict d before anything is built; returns the rows."""
    rows = list(d.get("backbone") or []) + list(d.get("head") or [])
    n_backbone = len(d.get("backbone") or [])
    for i, row in enumerate(rows):
        where = _where(d, i, n_backbone)
        if not isinstance(row, (list, tuple)) or len(row) != 4:
            raise ModelYAMLError(f"{where} {row!r}: expected [from, repeats, module, args]")
        f, n, m, args = row
        if not isinstance(m, str):
            raise ModelYAMLError(f"{where} {row!r}: module must be a name, got {m!r}")
        if not is_known_module(m, plugin_layers):
            from ultralytics.nn import tasks

            names = list(plugin_layers) + [k for k, v in vars(tasks).items() if isinstance(v, type)]
            near = closest(m, names, n=2, cutoff=0.6)
            hint = f"; did you mean {' or '.join(near)}?" if near else ""
            raise ModelYAMLError(
                f"{where} {row!r}: unknown module '{m}' (not an ultralytics, torch.nn or sdgas layer){hint}"
            )
        froms = f if isinstance(f, list) else [f]
        if not froms or not all(isinstance(j, int) and not isinstance(j, bool) for j in froms):
            raise ModelYAMLError(f"{where} {row!r}: 'from' must be an int or a list of ints, got {f!r}")
        for j in froms:
            if j < 0 and i + j < 0 and not (i == 0 and j == -1):
                raise ModelYAMLError(f"{where} {row!r}: 'from' {j} points before the first layer")
            if j >= i:
                raise ModelYAMLError(
                    f"{where} {row!r}: 'from' {j} is a forward reference or cycle "
                    f"(layer {i} can only read layers < {i})"
                )
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ModelYAMLError(f"{where} {row!r}: repeats must be a positive int, got {n!r}")
        if not isinstance(args, list):
            raise ModelYAMLError(f"{where} {row!r}: args must be a list, got {args!r}")
        if m in plugin_layers and n != 1:
            raise ModelYAMLError(f"{where} {row!r}: plugin layer {m} takes repeats 1 (depth is one of its args)")
    return rows


def parse_with_plugins(d, ch, verbose, rows, plugin_layers, original):
    """Row-by-row build: plugin rows by their own `parse` rule, stock rows by `original` on a one-row model.

    Returns (nn.Sequential of the layers, sorted save list), as ultralytics' parse_model does.
    """
    import torch
    from ultralytics.utils import LOGGER

    scales, scale = d.get("scales"), d.get("scale")
    if scales:
        if not scale:  # warned once here; the stock rows below get the scale, so they do not warn each
            scale = next(iter(scales))
            LOGGER.warning(f"no model scale passed. Assuming scale='{scale}'.")
            d = {**d, "scale": scale}
        sc = Scale(*scales[scale])
    else:
        sc = Scale(d.get("depth_multiple", 1.0), d.get("width_multiple", 1.0))
    if verbose:
        LOGGER.info(f"\n{'':>3}{'from':>20}{'n':>3}{'params':>10}  {'module':<45}{'arguments':<30}")
    layers, save, chs = [], [], []
    n_backbone = len(d.get("backbone") or [])
    legacy = d.get("legacy", True)  # Detect's head style; upstream's rule flips it on the first LEGACY_OFF row
    for i, (f, n, m, args) in enumerate(rows):
        c_in = [ch if (i == 0 and j == -1) else chs[j] for j in (f if isinstance(f, list) else [f])]
        legacy = legacy and (m not in LEGACY_OFF or "legacy" in d)
        try:
            if m in plugin_layers:
                cls = plugin_layers[m]
                ctor_args, c2 = cls.parse(c_in if isinstance(f, list) else c_in[0], list(args), sc)
                layer = cls(*ctor_args)
                layer.np = sum(p.numel() for p in layer.parameters())
                t = f"{cls.__module__}.{cls.__name__}"
            else:
                layer, c2, ctor_args = build_stock_row(d, f, n, m, args, c_in, original, legacy)
                t = layer.type
        except ModelYAMLError:
            raise
        except Exception as e:
            raise ModelYAMLError(
                f"{_where(d, i, n_backbone)} {[f, n, m, args]}: cannot build {m} with input channels {c_in}: "
                f"{type(e).__name__}: {e}"
            ) from e
        layer.i, layer.f, layer.type = i, f, t
        if verbose:
            LOGGER.info(f"{i:>3}{f!s:>20}{n:>3}{layer.np:10.0f}  {t:<45}{ctor_args!s:<30}")
        save.extend(x % i for x in ([f] if isinstance(f, int) else f) if x != -1)
        layers.append(layer)
        chs.append(c2)
    return torch.nn.Sequential(*layers), sorted(save)


def build_stock_row(d, f, n, m, args, c_in, original, legacy=True):
    """Build one stock row with ultralytics' parser, so its channel and scaling rules stay upstream's.

    The row is parsed as a tiny model: one `Index` placeholder per input (a stock layer whose output channels are its
    first argument), the row itself, then a `nn.BatchNorm2d` probe, which the parser sizes to the row's output
    channels (guard.parse_model_index_rule checks both rules). With legacy=False a small C3k2 row goes first: upstream
    then builds a head row (Detect and kin) with the YOLO11-style classification branch, as after a YOLO11 backbone.
    Returns (layer, output channels, its arguments as upstream resolved them: the text its model summary prints).
    """
    sub = {k: v for k, v in d.items() if k not in ("backbone", "head", "legacy")}
    k = len(c_in)
    sub["backbone"] = [[-1, 1, "Index", [c, 0]] for c in c_in]
    sub["backbone"] += [] if legacy else [[k - 1, 1, "C3k2", [8, False]]]
    sub["backbone"] += [[list(range(k)) if isinstance(f, list) else k - 1, n, m, list(args)]]
    sub["backbone"] += [[-1, 1, "nn.BatchNorm2d", []]]
    sub["head"] = []
    with _SummaryLines() as lines:  # upstream's summary of the tiny model, kept from the log
        seq, _ = original(sub, ch=c_in[0], verbose=True)
    row = k + (0 if legacy else 1)
    layer = seq[row]
    line = next((x for x in lines if x[:3].strip() == str(row) and layer.type in x), None)
    return layer, seq[row + 1].num_features, line.split(layer.type, 1)[1].strip() if line else args


class _SummaryLines(logging.Filter):
    """Context manager: the messages ultralytics' LOGGER logs meanwhile, as a list, instead of printing them."""

    def __enter__(self):
        from ultralytics.utils import LOGGER

        self.lines, self.logger = [], LOGGER
        LOGGER.addFilter(self)
        return self.lines

    def __exit__(self, *exc):
        self.logger.removeFilter(self)
        return False

    def filter(self, record):
        self.lines.append(record.getMessage())
        return False


def is_sdgasnet(model):
    """True if model (an nn.Module) contains any plugin layer."""
    import torch

    from ..nn import LAYERS

    layers = tuple(LAYERS.values())
    return isinstance(model, torch.nn.Module) and any(isinstance(m, layers) for m in model.modules())
