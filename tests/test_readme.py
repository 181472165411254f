# sdgas-ultra, AGPL-3.0
"""README.md's figures are what `python -m benchmarks.readme` renders from the committed results (issue #23)."""

import csv
import shutil

import pytest

from benchmarks import readme
from benchmarks.common.report import read_block


def stale_message(names):
    return f"README.md block(s) {', '.join(names)} differ from benchmarks/results/: run `{readme.COMMAND}` and commit"


def test_every_data_block_of_the_readme_is_what_its_csvs_render():
    blocks = readme.render(names=readme.DATA_BLOCKS)
    bad = readme.stale(readme.README.read_text(), blocks)
    assert not bad, stale_message(bad)


@pytest.mark.slow  # builds the five scales (about 10-25 s on 2 cores)
def test_the_models_block_is_what_the_built_models_report():
    bad = readme.stale(readme.README.read_text(), readme.render(names=("models",)))
    assert not bad, stale_message(bad)


def changed_block(tmp_path, block, csv_name, old, new):
    """The block rendered from a copy of the results, before and after replacing old by new in one CSV."""
    results = tmp_path / "results"
    shutil.copytree(readme.RESULTS_DIR, results)
    before = readme.render(results, (block,))[block]
    path = results / csv_name
    assert old in path.read_text(), f"{csv_name} no longer holds {old}: pick another value"
    path.write_text(path.read_text().replace(old, new))
    return before, readme.render(results, (block,))[block]


def test_a_number_changed_in_a_csv_changes_its_block(tmp_path):
    rows = {r["model"]: r for r in csv.DictReader(open(readme.RESULTS_DIR / "speed-cpu.csv"))}
    old, ref = rows[readme.SHIPPED]["latency_ms"], float(rows[readme.BASELINE]["latency_ms"])
    new = f"{float(old) + 10:.2f}"
    before, after = changed_block(tmp_path, "speed", "speed-cpu.csv", f",{old},", f",{new},")
    assert f"| sdgasnet-n | {float(new):.1f} | {float(new) / ref:.2f}x |" in after and after != before
    assert readme.stale(readme.README.read_text(), {"speed": after}) == ["speed"]


def test_a_changed_accuracy_row_changes_the_accuracy_block(tmp_path):
    """Raising sdgasnet-n's seed-0 textile test mAP50 by 10 points raises its mean over the seeds by 10/n."""
    name = "accuracy-synthetic-textile-e40-i192.csv"
    rows = [r for r in csv.DictReader(open(readme.RESULTS_DIR / name)) if r["model"] == readme.SHIPPED]
    old = next(r["test_map50"] for r in rows if r["seed"] == "0")
    before, after = changed_block(tmp_path, "accuracy", name, old, str(float(old) + 0.1))
    mean = 100 * (sum(float(r["test_map50"]) for r in rows) + 0.1) / len(rows)
    assert f"| {mean:.1f}" in after and after != before  # the mean (± the std over seeds when several)


def test_a_surface_without_results_reads_not_measured(tmp_path):
    text = readme.accuracy_block(tmp_path)
    assert text.count("not measured") == len(readme.SURFACES)


def test_the_variants_block_has_a_row_only_where_a_variant_ran(tmp_path):
    assert readme.variants_block(tmp_path) == "No rows of these models yet.\n"
    text = readme.variants_block(readme.RESULTS_DIR)
    assert all(f"| `{m}` | steel (`synthetic-defects`) |" in text for m in readme.VARIANTS)
    assert "| `sdgas-s1-no-fgpem-n` | PCB" not in text  # never run on PCB


def test_the_speed_block_names_every_earlier_h200_run():
    text = readme.speed_block(readme.RESULTS_DIR)
    assert all(f"`{name}`" in text for name in readme.GPU_CSVS[1:]) and f"`{readme.GPU_CSVS[0]}`" not in text


def test_every_block_names_the_release_it_measured():
    blocks = readme.render(names=readme.DATA_BLOCKS)
    path = readme.RESULTS_DIR / "accuracy-synthetic-defects-e40-i192.csv"
    two = [r for r in csv.DictReader(open(path)) if r["model"] in (readme.SHIPPED, readme.BASELINE)]
    steel = f"| steel (`synthetic-defects`) | {readme.release(path, two)}; 40 epochs, imgsz 192 |"
    assert steel in blocks["accuracy"]  # the releases of its two models' rows only
    assert "Release 0.4.4, 0.5.0, `sdgasnet-n` as student and teacher" in blocks["distill"]
    assert "H200 FPS (0.4.3)" in blocks["speed"]
    assert "measured with" in blocks["disk"] and "| release |" in blocks["runs"]


def test_a_version_column_overrides_the_release_mapping():
    name = "gpu-h200.csv"  # a CSV without the column: RELEASES names its release
    assert readme.release(name, [{"version": "0.5.1"}]) == "0.5.1"
    assert readme.release(name, [{"version": ""}, {"version": "0.5.1"}]) == f"{readme.RELEASES[name]}, 0.5.1"
    assert readme.release("unknown.csv") == "unrecorded"


@pytest.fixture
def models_as_committed(monkeypatch):
    """The models block as README.md has it, so that main() builds no model (the slow test covers that block)."""
    committed = read_block(readme.README.read_text(), "readme:models")
    monkeypatch.setitem(readme.BLOCKS, "models", lambda results_dir: committed)


def test_check_exits_naming_the_stale_block_and_the_command(tmp_path, models_as_committed):
    doc = tmp_path / "README.md"
    text = readme.README.read_text()
    doc.write_text(text.replace(read_block(text, "readme:runs"), "| stale |\n"))
    with pytest.raises(SystemExit, match=r"block\(s\) runs differ .* run `python -m benchmarks.readme`"):
        readme.main(["--check", "--readme", str(doc)])


def test_rewriting_restores_the_committed_readme(tmp_path, models_as_committed):
    doc = tmp_path / "README.md"
    text = readme.README.read_text()
    doc.write_text(text.replace(read_block(text, "readme:runs"), "| stale |\n"))
    readme.main(["--readme", str(doc)])
    readme.main(["--check", "--readme", str(doc)])
    assert doc.read_text() == text
