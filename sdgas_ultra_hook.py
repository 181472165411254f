# sdgas-ultra, AGPL-3.0
"""Start-up hook: activate sdgas-ultra whenever ultralytics is imported, in any interpreter.

`sdgas_ultra.pth` in site-packages imports this module at every Python start. It must stay cheap: it imports
nothing but `sys`, and only registers a finder. When (and only when) a program imports `ultralytics`, the finder
lets the real import run and then calls `sdgas_ultra.activate()`, so `yolo train model=sdgasnet-n.yaml`, DDP
workers and checkpoint loading all see the plugin without an explicit import.
"""

import sys


class _ActivateAfter:
    """Loader wrapper: run the real loader, then activate the plugin."""

    def __init__(self, loader):
        self.loader = loader

    def __getattr__(self, name):  # get_resource_reader, is_package, ... go to the real loader
        return getattr(self.loader, name)

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        try:
            import sdgas_ultra

            sdgas_ultra.activate()
        except Exception as e:  # never break a plain ultralytics import; the plugin's own import reports the cause
            print(f"WARNING ⚠️ sdgas-ultra plugin not activated: {e}", file=sys.stderr)


class _UltralyticsFinder:
    """Meta-path finder that only reacts to the top-level `ultralytics` package."""

    def find_spec(self, name, path=None, target=None):
        if name != "ultralytics":
            return None
        sys.meta_path.remove(self)  # one shot: find the real spec with the remaining finders
        from importlib.util import find_spec

        spec = find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _ActivateAfter(spec.loader)
        return spec


if "ultralytics" not in sys.modules and not any(isinstance(f, _UltralyticsFinder) for f in sys.meta_path):
    sys.meta_path.insert(0, _UltralyticsFinder())
