# sdgas-ultra, AGPL-3.0
"""Start-up hook: activate sdgas-ultra whenever ultralytics is imported, in any interpreter.

`sdgas_ultra.pth` in site-packages imports this module at every Python start. It must stay cheap: it imports only
`sys` and `os` (both already loaded at start-up) and registers a finder. When a program imports `ultralytics` (by
`import`, `importlib.import_module`, `python -m`, in spawned workers and DDP processes alike), the finder lets the
real import run and then calls `sdgas_ultra.activate()`. Availability probes (`importlib.util.find_spec`) that do
not import leave the finder in place. With SDGAS_ULTRA_DISABLE=1 no finder is registered: ultralytics stays stock and
sdgas_ultra is not imported; only an uncaught error about a plugin name (sdgasnet-n.yaml, sd_T) is explained as the
plugin being disabled (one line from `yolo`, a line after the traceback elsewhere).
"""

import os
import sys


class _ActivateAfter:
    """Loader wrapper: run the real loader, put it back on the module, then activate the plugin."""

    def __init__(self, loader, finder):
        self.loader, self.finder = loader, finder

    def __getattr__(self, name):  # get_resource_reader, is_package, ... go to the real loader
        return getattr(self.loader, name)

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        module.__loader__ = module.__spec__.loader = self.loader  # no trace of the wrapper on ultralytics
        self.loader.exec_module(module)
        if self.finder in sys.meta_path:  # ultralytics is imported: the finder's work is done
            sys.meta_path.remove(self.finder)
        try:
            import sdgas_ultra

            sdgas_ultra.activate()
        except Exception as e:  # never break a plain ultralytics import; the plugin's own import reports the cause
            print(f"WARNING ⚠️ sdgas-ultra plugin not activated: {e}", file=sys.stderr)


class _UltralyticsFinder:
    """Meta-path finder that only reacts to the top-level `ultralytics` package, and stays until it is executed."""

    searching = False  # True while it asks the other finders (which may call back into find_spec)

    def find_spec(self, name, path=None, target=None):
        if name != "ultralytics" or self.searching:
            return None
        from importlib.util import find_spec

        self.searching = True
        try:
            spec = find_spec(name)
        finally:
            self.searching = False
        if spec is not None and spec.loader is not None:
            spec.loader = _ActivateAfter(spec.loader, self)
        return spec


def _explain_disabled(kind, exc, tb, previous=sys.excepthook):
    """sys.excepthook while the plugin is disabled: a missing file or unknown key that is the plugin's says so."""
    import re

    first = re.sub(r"\x1b\[[0-9;]*m", "", str(exc)).strip().split("\n")[0]
    ours = re.search(r"sdgas[\w.-]*\.ya?ml|synthetic-defects[\w-]*\.ya?ml|\bsd_\w+|\bself_distill\b", first)
    if not (isinstance(exc, (FileNotFoundError, SyntaxError)) and ours):
        return previous(kind, exc, tb)
    line = (
        f"the sdgas-ultra plugin is disabled (SDGAS_ULTRA_DISABLE=1), so ultralytics does not know '{ours[0]}' "
        f"({first}); unset SDGAS_ULTRA_DISABLE to use it"
    )
    prog = os.path.basename(sys.argv[0])
    if prog not in ("yolo", "ultralytics"):
        previous(kind, exc, tb)  # a Python program keeps its traceback
        prog = "sdgas-ultra"
    print(f"{prog}: error: {line}", file=sys.stderr)


def install():
    """Register the finder once, unless ultralytics is already imported or SDGAS_ULTRA_DISABLE is set (then only
    the excepthook that explains errors about plugin names)."""
    if os.environ.get("SDGAS_ULTRA_DISABLE", "").lower() in ("1", "true", "yes"):
        sys.excepthook = _explain_disabled
        return
    if "ultralytics" not in sys.modules and not any(type(f).__name__ == "_UltralyticsFinder" for f in sys.meta_path):
        sys.meta_path.insert(0, _UltralyticsFinder())


install()
