# sdgas-ultra, AGPL-3.0
"""The plugin's own error types, and the one-line form the `yolo` and `sdgas` commands print for them."""

from difflib import get_close_matches

# what the plugin raises for bad input; the `sdgas` sub-commands print these as one line (data/errors.py: command)
USER_ERRORS = (OSError, ValueError)


class ModelYAMLError(ValueError):
    """A model YAML row that cannot be built; the message names the file, the row and the problem."""


class UnknownKeyError(SyntaxError):
    """An unknown `sd_` training key; the message names the closest valid keys (a SyntaxError, as upstream raises)."""


class KeyValueError(ValueError):
    """A training key with a value it does not take (sd_T=nan, distill_model=model.yaml, project=<read-only>); the
    message names the key, the value and what is allowed."""


class MissingFileError(FileNotFoundError):
    """A file the user named does not exist (and is not downloaded); the message says what to pass instead."""


def closest(name, choices, n=3, cutoff=0.0):
    """Up to n of choices most like name (case-insensitive, similarity >= cutoff in [0, 1]), best first."""
    by_lower = {c.lower(): c for c in choices}
    return [by_lower[c] for c in get_close_matches(name.lower(), list(by_lower), n=n, cutoff=cutoff)]


def _ours(exc):
    """True if exc is of a plugin error type, or a ValueError/OSError raised by a line of the plugin's code."""
    if type(exc).__module__.partition(".")[0] == "sdgas_ultra":
        return True
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    raised_in = tb.tb_frame.f_globals.get("__name__", "") if tb is not None else ""
    return isinstance(exc, USER_ERRORS) and raised_in.partition(".")[0] == "sdgas_ultra"


def plugin_error(exc):
    """The first exception in exc's chain (exc, its cause or context, ...) that is the plugin's own, or None.

    Upstream often re-raises as RuntimeError(...) from the original; the plugin's message is the useful one. Other
    exceptions (upstream's, and bugs, which keep their traceback) give None.
    """
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if _ours(exc):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def short_message(exc, prog):
    """What command prog prints for exc, '<prog>: error: <message>', if exc comes from a plugin error; else None."""
    found = plugin_error(exc)
    return None if found is None else f"{prog}: error: {found}"
