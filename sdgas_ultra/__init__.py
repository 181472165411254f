# sdgas-ultra, AGPL-3.0
"""sdgas-ultra: SD-GASNet (Sensors 2026, 26(1):23) as an Ultralytics plugin.

Installing the package is enough: a start-up hook activates the plugin whenever ultralytics is imported, so
`yolo train model=sdgasnet-n.yaml` works with no import. `from sdgas_ultra import SDGASModel` gives the Python API.
"""

__version__ = "0.1.0"
__all__ = ("SDGASModel", "activate", "__version__")


def activate():
    """Install the plugin into ultralytics (idempotent). Raises ImportError for an unsupported ultralytics."""
    from ._upstream import activate as _activate

    _activate()


def __getattr__(name):
    """Import the model class lazily, so `import sdgas_ultra` stays cheap."""
    if name == "SDGASModel":
        from .model import SDGASModel

        return SDGASModel
    raise AttributeError(f"module 'sdgas_ultra' has no attribute '{name}'")
