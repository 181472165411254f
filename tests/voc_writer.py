# sdgas-ultra, AGPL-3.0
"""Test helper: write Pascal VOC XML files, the inverse of sdgas_ultra.data.voc.parse_voc."""

import xml.etree.ElementTree as ET
from pathlib import Path


def write_voc(file, width, height, objects):
    """Write a VOC XML file; `objects` are (name, x0, y0, x1, y1) 0-based pixel-edge boxes (VOC: 1-based, inclusive)."""
    root = ET.Element("annotation")
    ET.SubElement(root, "filename").text = Path(file).with_suffix(".jpg").name
    size = ET.SubElement(root, "size")
    for k, v in (("width", width), ("height", height), ("depth", 3)):
        ET.SubElement(size, k).text = str(v)
    for name, x0, y0, x1, y1 in objects:
        obj = ET.SubElement(root, "object")
        ET.SubElement(obj, "name").text = name
        box = ET.SubElement(obj, "bndbox")
        for k, v in zip(("xmin", "ymin", "xmax", "ymax"), (x0 + 1, y0 + 1, x1, y1)):
            ET.SubElement(box, k).text = f"{v:g}"
    Path(file).parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(file)
