# sdgas-ultra, AGPL-3.0
"""sdgas-ultra: SD-GASNet (Sensors 2026, 26(1):23) as an Ultralytics plugin.

Installing the package is enough: a start-up hook activates the plugin whenever ultralytics is imported, so
`yolo train model=sdgasnet-n.yaml` works with no import. `from sdgas_ultra import SDGASModel` gives the Python API.
"""

__version__ = "0.5.3"
__all__ = ("SDGASModel", "activate", "__version__")


def activate():
    """Install the plugin into ultralytics (all or nothing, idempotent). Raises ImportError for an unsupported
    ultralytics, leaving it stock. The start-up hook calls this unless SDGAS_ULTRA_DISABLE=1."""
    from ._upstream import activate as _activate

    _activate(_model_class)


def _model_class():
    """SDGASModel, imported when ultralytics first routes a model to it (model.py imports the trainer)."""
    from .model import SDGASModel

    return SDGASModel


def __getattr__(name):
    """Import the model class lazily, so `import sdgas_ultra` stays cheap."""
    if name == "SDGASModel":
        from .model import SDGASModel

        return SDGASModel
    raise AttributeError(f"module 'sdgas_ultra' has no attribute '{name}'")
