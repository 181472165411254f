# sdgas-ultra, AGPL-3.0
"""The bottom layer: the plugin's own error types (errors.py) and paths (paths.py).

It imports nothing else of sdgas_ultra and nothing of ultralytics, so every other part may import it: defaults.py,
nn/, data/, explain/, distill/ and the ultralytics seam _upstream/ (tests/test_compat.py checks the layering).
"""
