# sdgas-ultra, AGPL-3.0
"""Where the plugin's shipped YAMLs live, their names (scaled, renamed) and the lookup of a bare name."""

import os
import re
from pathlib import Path

from .errors import MissingFileError, closest

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # sdgas_ultra/
# wheel: sdgas_ultra/cfg; source checkout (editable install, tests): <repo>/cfg
CFG_DIR = PACKAGE_DIR / "cfg" if (PACKAGE_DIR / "cfg").is_dir() else PACKAGE_DIR.parent / "cfg"
SCALED_STEM = re.compile(r"^(?P<base>.+)-(?P<scale>[a-z])$")  # sdgasnet-n -> sdgasnet, n
# model YAMLs renamed: old name -> (new name, what changed, release). 0.3.1: the ladder adds CS before FGPEM; 0.5:
# the speed candidate s1 is the default
RENAMED = {
    "sdgas-a4-cs.yaml": ("sdgas-a4-fgpem.yaml", "same network", "0.3.1"),
    "sdgas-a3-fgpem.yaml": ("sdgas-l4-fgpem-no-cs.yaml", "FGPEM without CS is now lead l4", "0.3.1"),
    "sdgas-s1-no-cs-v8-head.yaml": ("sdgasnet.yaml", "same network: s1 is the default", "0.5"),
}


def plugin_file(name):
    """Path of a file shipped in the plugin's cfg/ (e.g. 'sdgasnet.yaml'), or None. Only bare names are looked up."""
    name = str(name)
    if not name or "/" in name or "\\" in name or os.path.exists(name):
        return None
    return next(iter(sorted(CFG_DIR.rglob(name))), None)


def model_yaml_names():
    """Bare names of the shipped model YAMLs, with the '<name>-<scale>.yaml' forms of those that have scales."""
    import yaml

    names = []
    for path in sorted((CFG_DIR / "models").rglob("*.yaml")):
        names.append(path.name)
        scales = (yaml.safe_load(path.read_text()) or {}).get("scales") or {}
        names += [f"{path.stem}-{s}{path.suffix}" for s in scales]
    return names


def missing_model_yaml(name):
    """MissingFileError for a model YAML that does not exist and was renamed or is close to a shipped one, or None
    (not a plugin name: upstream's own error stands)."""
    base = Path(name).name
    stem, scale = Path(base).stem, ""
    if f"{stem}.yaml" not in RENAMED and (m := SCALED_STEM.match(stem)):  # sdgas-s1-no-cs-v8-head-n.yaml: scale n
        stem, scale = m["base"], f"-{m['scale']}"
    if f"{stem}.yaml" in RENAMED:
        new, why, release = RENAMED[f"{stem}.yaml"]
        new = new.replace(".yaml", f"{scale}.yaml")
        return MissingFileError(f"{name}: renamed {new} in sdgas-ultra {release} ({why}); use {new}")
    near = closest(base, model_yaml_names(), n=1, cutoff=0.8)
    return MissingFileError(f"{name}: no such model YAML; did you mean {near[0]}?") if near else None
