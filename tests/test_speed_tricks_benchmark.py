"""benchmarks/speed_tricks.py switches each trick off in the code as it is now.

The benchmark patches one trick out of a clean tree per variant. When a refactor moves
the patched code, these tests fail (instead of the benchmark measuring an unpatched
tree); where it is cheap, they also check that the patched code does what the variant
claims (same result, the trick gone). No build runs here.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from speed_tricks import (  # noqa: E402
    BY_NAME,
    VARIANTS,
    Patch,
    PatchNotFoundError,
    Variant,
    apply_variant,
    decide,
    patched,
)
from speed_tricks_parts import makespan  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def _tree_with(tmp_path: Path, variant: Variant) -> Path:
    """A copy of the files the variant patches, at their place in a tree."""
    for file in {p.file for p in variant.patches}:
        (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(REPO / file, tmp_path / file)
    return tmp_path


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_every_patch_finds_its_text_once_and_changes_the_file(tmp_path, variant):
    tree = _tree_with(tmp_path, variant)
    changed = apply_variant(tree, variant)
    assert changed == sorted({p.file for p in variant.patches})
    for file in changed:
        after = (tree / file).read_text(encoding="utf-8")
        assert after != (REPO / file).read_text(encoding="utf-8")
        for patch in variant.patches:
            if patch.file == file and patch.new:
                assert patch.new in after


def test_a_text_not_found_stops_before_anything_is_written(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n", encoding="utf-8")
    (tmp_path / "b.py").write_text("y = 2\n", encoding="utf-8")
    variant = Variant(
        "demo", "demo", "demo", (Patch("a.py", "x = 1", "x = 0"), Patch("b.py", "z = 3", ""))
    )
    with pytest.raises(
        PatchNotFoundError,
        match=r"b\.py: the text to patch \('z = 3' \.\.\.\) is "
        r"found 0 times",
    ):
        apply_variant(tmp_path, variant)
    assert (tmp_path / "a.py").read_text(encoding="utf-8") == "x = 1\n"  # untouched


def test_a_text_found_twice_is_refused():
    with pytest.raises(PatchNotFoundError, match="found 2 times"):
        patched("a = 1\na = 1\n", Patch("f.py", "a = 1", "a = 2"))
    assert patched("a = 1\nb = 1\n", Patch("f.py", "b = 1", "b = 2")) == "a = 1\nb = 2\n"


def test_a_patch_that_breaks_the_syntax_is_refused(tmp_path):
    (tmp_path / "a.py").write_text("if x:\n    y = 1\n", encoding="utf-8")
    with pytest.raises(SyntaxError):
        apply_variant(tmp_path, Variant("v", "t", "w", (Patch("a.py", "    y = 1\n", ""),)))
    assert (tmp_path / "a.py").read_text(encoding="utf-8") == "if x:\n    y = 1\n"


def test_the_makespan_of_a_first_come_schedule_on_two_workers():
    # 0 -> worker A (0-5), 1 -> B (0-3), 2 -> B (3-7), 3 -> A (5-6): the last ends at 7
    assert makespan([0, 1, 2, 3], {0: 5.0, 1: 3.0, 2: 4.0, 3: 1.0}) == 7.0
    # longest first: 0 -> A (0-5), 2 -> B (0-4), 1 -> B (4-7), 3 -> A (5-6): 7 again
    assert makespan([0, 2, 1, 3], {0: 5.0, 1: 3.0, 2: 4.0, 3: 1.0}) == 7.0
    assert makespan([0, 1], {0: 2.0, 1: 2.0}, workers=1) == 4.0


def test_steps_in_workers_off_runs_the_steps_without_the_pool(tmp_path):
    tree = _tree_with(tmp_path, BY_NAME["steps_in_workers"])
    apply_variant(tree, BY_NAME["steps_in_workers"])
    text = (tree / "konsel_analysis/reports/main_job.py").read_text(encoding="utf-8")
    start = text.index("run_steps(\n")
    call = text[start : text.index("\n        )\n", start)]
    assert "pool=None," in call and "pool=pool," not in call


@pytest.mark.parametrize(
    ("ratio", "decision"),
    [(1.20, "keep"), (1.051, "keep"), (1.05, "remove"), (1.0, "remove"), (0.9, "remove")],
)
def test_a_trick_is_kept_only_when_off_is_more_than_5_percent_slower(ratio, decision):
    assert decide(ratio) == decision


def test_every_variant_build_is_next_to_a_baseline_build():
    from speed_tricks import schedule

    order = schedule(["a", "b", "c"], 2)
    assert order == ["baseline", "a", "b", "baseline", "c", "a", "baseline", "b", "c", "baseline"]
    assert schedule(["a"], 3) == ["baseline", "a", "a", "baseline", "a", "baseline"]


def test_only_stamped_digests_are_ignored_when_outputs_are_compared():
    from speed_tricks import _compare

    def manifest(xlsx: str, csv: str) -> bytes:
        return (
            '{\n  "digests": {\n'
            f'    "restricted/lists/74.05.01-tinanggea.xlsx": "{xlsx * 64}",\n'
            f'    "data/processed/score/expected_errors_by_area.csv": "{csv * 64}"\n'
            "  }\n}\n"
        ).encode()

    # an XLSX carries the second it was saved: its digest differs between two builds
    assert _compare("score/manifest.json", manifest("a", "c"), manifest("b", "c"))[0]
    # a table's digest differing means the table differs: never ignored
    ok, said = _compare("score/manifest.json", manifest("a", "c"), manifest("a", "d"))
    assert not ok and said.startswith("DIFFERS score/manifest.json")
    page = b'{\n  "kecamatan/a.html": {\n    "key": "%s",\n    "page": "%s"\n  }\n}\n'
    assert _compare(
        "render_keys.json", page % (b"1" * 64, b"2" * 64), page % (b"3" * 64, b"4" * 64)
    )[0]
