# sdgas-ultra, AGPL-3.0
"""The one atomic-write helper of data/: a target is the old content or the complete new one, never half-written."""

import os
import signal
import socket
import subprocess
import sys

import pytest

from sdgas_ultra.data.atomic import atomic_dir, atomic_file, remove_stale_partials


def test_a_folder_appears_only_when_complete(tmp_path):
    out = tmp_path / "out"
    with atomic_dir(out) as tmp:
        (tmp / "a.txt").write_text("a")
        assert not out.exists() and tmp.parent == tmp_path and tmp.name.startswith(".out.partial-")
    assert os.listdir(tmp_path) == ["out"] and (out / "a.txt").read_text() == "a"


def test_a_failure_leaves_neither_the_target_nor_the_partial_copy(tmp_path):
    with pytest.raises(RuntimeError, match="disk on fire"):
        with atomic_dir(tmp_path / "out") as tmp:
            (tmp / "a.txt").write_text("a")
            raise RuntimeError("disk on fire")
    assert os.listdir(tmp_path) == []


def test_an_empty_folder_is_filled_and_a_full_one_refused_before_any_work(tmp_path):
    (tmp_path / "empty").mkdir()
    with atomic_dir(tmp_path / "empty") as tmp:
        (tmp / "a.txt").write_text("a")
    assert os.listdir(tmp_path / "empty") == ["a.txt"]
    with pytest.raises(FileExistsError, match="empty.*not empty"):
        with atomic_dir(tmp_path / "empty"):
            pytest.fail("the block ran although the target is not empty")
    assert sorted(os.listdir(tmp_path)) == ["empty"]


def test_replace_swaps_the_whole_folder_and_keeps_the_old_one_on_failure(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_dir(out, replace=True) as tmp:
            (tmp / "new.txt").write_text("new")
            raise RuntimeError
    assert os.listdir(out) == ["old.txt"]
    with atomic_dir(out, replace=True) as tmp:
        (tmp / "new.txt").write_text("new")
    assert os.listdir(out) == ["new.txt"] and os.listdir(tmp_path) == ["out"]


def test_a_target_filled_by_another_writer_meanwhile_is_left_to_it(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(FileExistsError, match="another process"):
        with atomic_dir(out) as tmp:
            (tmp / "mine.txt").write_text("mine")
            out.mkdir()
            (out / "theirs.txt").write_text("theirs")  # a concurrent writer finished first
    assert os.listdir(out) == ["theirs.txt"] and os.listdir(tmp_path) == ["out"]


def test_a_file_is_replaced_only_when_written_completely(tmp_path):
    file = tmp_path / "stats.txt"
    file.write_text("old")
    with pytest.raises(OSError):
        with atomic_file(file) as tmp:
            assert tmp.name == "stats.txt" and tmp.parent.parent == tmp_path  # same suffix: writers pick formats by it
            tmp.write_text("half")
            raise OSError("disk full")
    assert file.read_text() == "old" and os.listdir(tmp_path) == ["stats.txt"]
    with atomic_file(file) as tmp:
        tmp.write_text("new")
    assert file.read_text() == "new" and os.listdir(tmp_path) == ["stats.txt"]


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002])
def test_folders_follow_the_users_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        with atomic_dir(tmp_path / "out") as tmp:
            (tmp / "sub").mkdir()
        with atomic_file(tmp_path / "f.txt") as tmp:
            tmp.write_text("x")
    finally:
        os.umask(old)
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o777 & ~umask
    assert (tmp_path / "out" / "sub").stat().st_mode & 0o777 == 0o777 & ~umask
    assert (tmp_path / "f.txt").stat().st_mode & 0o777 == 0o666 & ~umask


def _dead_pid():
    """The pid of a process that has exited."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def test_partials_of_dead_owners_are_removed_and_live_or_foreign_ones_kept(tmp_path):
    host = socket.gethostname()
    dead = tmp_path / f".out.partial-{host}-{_dead_pid()}-abc123"
    live = tmp_path / f".out.partial-{host}-{os.getpid()}-def456"
    foreign = tmp_path / f".out.partial-other-host-{_dead_pid()}-ghi789"
    unowned = tmp_path / ".out.partial-jkl012"  # made before owners were recorded: cannot tell, kept
    for folder in (dead, live, foreign, unowned):
        folder.mkdir()
        (folder / "half.txt").write_text("half")
    with atomic_dir(tmp_path / "out") as tmp:
        (tmp / "a.txt").write_text("a")
    assert sorted(os.listdir(tmp_path)) == sorted(["out", live.name, foreign.name, unowned.name])


def test_the_next_run_removes_the_partial_folder_of_a_run_killed_with_sigkill(tmp_path):
    code = ("import sys, time; from sdgas_ultra.data.atomic import atomic_dir\n"
            "with atomic_dir(sys.argv[1]) as tmp:\n"
            "    (tmp / 'half.txt').write_text('half'); print(tmp.name, flush=True); time.sleep(60)\n")
    child = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "out")], stdout=subprocess.PIPE, text=True)
    partial = child.stdout.readline().strip()
    assert partial.startswith(".out.partial-") and (tmp_path / partial).is_dir()
    remove_stale_partials(tmp_path / "out")  # what the next writer does first: the owner still runs, so it stays
    assert (tmp_path / partial).is_dir()
    child.send_signal(signal.SIGKILL)
    child.wait()
    with atomic_dir(tmp_path / "out") as tmp:
        (tmp / "a.txt").write_text("a")
    assert os.listdir(tmp_path) == ["out"]
