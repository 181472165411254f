# sdgas-ultra, AGPL-3.0
"""Where the plugin's shipped YAMLs live, and the bare-name lookup the check_file patch uses."""

import os
import re
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # sdgas_ultra/
# wheel: sdgas_ultra/cfg; source checkout (editable install, tests): <repo>/cfg
CFG_DIR = PACKAGE_DIR / "cfg" if (PACKAGE_DIR / "cfg").is_dir() else PACKAGE_DIR.parent / "cfg"
SCALED_STEM = re.compile(r"^(?P<base>.+)-(?P<scale>[a-z])$")  # sdgasnet-n -> sdgasnet, n


def plugin_file(name):
    """Path of a file shipped in the plugin's cfg/ (e.g. 'sdgasnet.yaml'), or None. Only bare names are looked up."""
    name = str(name)
    if not name or "/" in name or "\\" in name or os.path.exists(name):
        return None
    return next(iter(sorted(CFG_DIR.rglob(name))), None)
