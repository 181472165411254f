# sdgas-ultra, AGPL-3.0
"""Test session set-up: offline ultralytics with a throw-away settings directory, set before any import of it."""

import os
import tempfile

os.environ["YOLO_OFFLINE"] = "1"
os.environ.setdefault("YOLO_CONFIG_DIR", tempfile.mkdtemp(prefix="sdgas-yolo-cfg-"))
os.environ["YOLO_AUTOINSTALL"] = "false"
