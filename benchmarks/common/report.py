# sdgas-ultra, AGPL-3.0
"""Report text: Markdown tables, the marked block of a doc that a report rewrites, and the machine it ran on."""

import platform
from pathlib import Path


def md_table(head, body, align=None):
    """Markdown table lines from a header and rows of cells; align: one 'l' or 'r' per column (default all 'l')."""
    rule = "".join("---:|" if a == "r" else "---|" for a in (align or "l" * len(head)))
    return [f"| {' | '.join(head)} |", f"|{rule}", *(f"| {' | '.join(map(str, r))} |" for r in body)]


def write_docs(path, text, name):
    """Replace the block between `<!-- name:begin -->` and `<!-- name:end -->` of a Markdown file with text."""
    Path(path).write_text(replace_block(Path(path).read_text(), text, name, path))


def replace_block(doc, text, name, where="the document"):
    """doc with its `name` block replaced by text; exits naming `where` when the markers are missing."""
    begin, end = markers(name)
    if begin not in doc or end not in doc:
        raise SystemExit(f"{where}: no '{begin}' ... '{end}' block to rewrite")
    head, rest = doc.split(begin, 1)
    return f"{head}{begin}\n\n{text}\n{end}{rest.split(end, 1)[1]}"


def read_block(doc, name):
    """The text that replace_block put between the markers of block `name`, or None if doc has no such block."""
    begin, end = markers(name)
    if begin not in doc or end not in doc:
        return None
    body = doc.split(begin, 1)[1].split(end, 1)[0]
    return body.removeprefix("\n\n").removesuffix("\n")


def markers(name):
    """The begin and end markers of a report block."""
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def cpu_name():
    """The CPU model from /proc/cpuinfo, else what platform knows (e.g. x86_64)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
