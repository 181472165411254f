# sdgas-ultra, AGPL-3.0
"""Test helper: the environment of a command run as a user runs it, outside pytest."""

import os


def user_env(**extra):
    """os.environ without pytest's PYTEST_* variables (with them ultralytics acts as under test), plus extra."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}, **extra}
