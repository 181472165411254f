# sdgas-ultra, AGPL-3.0
"""The one atomic-write helper of data/: a target is the old content or the complete new one, never half-written."""

import os

import pytest

from sdgas_ultra.data.atomic import atomic_dir, atomic_file


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
