# sdgas-ultra, AGPL-3.0
"""Training keys that sdgas-ultra adds to ultralytics' default config (so `yolo train key=value` accepts them)."""

# key -> default value; added to ultralytics' DEFAULT_CFG_DICT on activation
PLUGIN_CFG = {}
