# sdgas-ultra, AGPL-3.0
"""Atomic writes for every dataset folder and file the data tools produce.

Everything is built under a unique hidden sibling name (`.<name>.partial-<host>-<pid>-<random>`) and renamed into
place only when complete, so a reader, a later run or a concurrent process sees the old content or the finished new
one, never a half-written dataset that looks valid. A failure removes the partial copy and leaves the target as it
was; a partial copy left by a killed run (its process gone, on this host) is removed by the next write there. The
folders made follow the user's umask (mkdtemp alone would leave them 0700).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import tempfile
from contextlib import contextmanager
from pathlib import Path

OWNER = re.compile(r"partial-(?P<host>.+)-(?P<pid>\d+)-[^-]+$")  # the owner in a partial folder's name


def _sibling(path, kind):
    """A new, unique hidden folder beside `path` (created atomically by mkdtemp; mode 0777 less the umask). Partial
    folders carry their owner: `.<name>.partial-<host>-<pid>-<random>`."""
    owner = f"{socket.gethostname()}-{os.getpid()}-" if kind == "partial" else ""
    folder = Path(tempfile.mkdtemp(prefix=f".{path.name}.{kind}-{owner}", dir=path.parent))
    umask = os.umask(0)
    os.umask(umask)
    folder.chmod(0o777 & ~umask)
    return folder


def _alive(pid):
    """True if process pid exists on this host (also when it belongs to another user)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_partials(path):
    """Remove the partial folders of `path` left by killed runs: made on this host by a process that is gone.
    Others (a live process's, another host's, or without an owner in the name) are left alone."""
    host, prefix = socket.gethostname(), f".{path.name}."
    for folder in path.parent.iterdir():
        m = OWNER.match(folder.name[len(prefix) :]) if folder.name.startswith(prefix) else None
        if m and folder.is_dir() and m["host"] == host and not _alive(int(m["pid"])):
            shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def atomic_dir(out, replace=False):
    """Yield a new empty folder to build `out` in; rename it to `out` when the block succeeds.

    Args:
        out (str | Path): target folder; it may be missing or empty.
        replace (bool): also replace a non-empty `out` (set aside, deleted once the new one is in place).

    Raises:
        FileExistsError: `out` is a file, or a non-empty folder and not `replace` (checked before the block runs
            and again at the rename, which fails if another process filled `out` meanwhile).
    """
    out = Path(out).expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not replace:
        raise FileExistsError(f"{out} exists and is not empty; choose a new folder or pass overwrite")
    out.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(out)
    tmp = _sibling(out, "partial")
    try:
        yield tmp
        _publish(tmp, out, replace)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _publish(tmp, out, replace):
    """Rename the finished `tmp` to `out`, setting aside (then deleting) an old `out` if `replace`."""
    old = None
    try:
        if replace and out.is_dir() and any(out.iterdir()):
            old = _sibling(out, "old") / out.name
            out.rename(old)
        elif out.is_dir():
            out.rmdir()  # empty: renaming onto a folder is not portable; fails if it was filled meanwhile
        tmp.rename(out)
    except OSError as e:
        if out.exists():  # another process got there first
            kept = f" (the old copy is in {old.parent})" if old is not None else ""
            raise FileExistsError(f"{out} was written by another process meanwhile; left as it is{kept}") from e
        if old is not None:
            old.rename(out)
        raise
    if old is not None:
        shutil.rmtree(old.parent, ignore_errors=True)


@contextmanager
def atomic_file(file):
    """Yield a temporary path beside `file` to write to; replace `file` with it when the block succeeds."""
    file = Path(file).expanduser().resolve()
    file.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_partials(file)
    tmp = _sibling(file, "partial")
    try:
        yield tmp / file.name  # same name, so writers that pick a format from the suffix still do
        os.replace(tmp / file.name, file)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
