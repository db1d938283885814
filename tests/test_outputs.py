"""The output registry: declared once, documented from the declaration, held to by the sources.

The build-side check (every file a real build writes is declared, with its columns) is
in tests/reports/test_outputs_build.py, on the session's small build.
"""

from __future__ import annotations

import ast
import re
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from konsel_analysis import outputs
from konsel_analysis.geography import VILLAGES_FILE
from konsel_analysis.paths import ProjectPaths
from konsel_analysis.synth import MANIFEST_FILE, TABLE_FILES

PACKAGE = Path(outputs.__file__).resolve().parent
DOC = PACKAGE.parent / "docs" / "outputs.md"
GENERATED = "<!-- generated from konsel_analysis/outputs.py: do not edit below -->"


# --------------------------------------------------------------------------------------
# The registry itself
# --------------------------------------------------------------------------------------


def test_paths_come_from_the_registry():
    paths = ProjectPaths(Path("/p"))
    assert outputs.path(paths, "targeting_by_area") == Path(
        "/p/data/processed/targeting/targeting_by_area.csv"
    )
    assert outputs.path(paths, "register_summary_by_kecamatan") == Path(
        "/p/data/processed/register_summary_by_kecamatan.csv"
    )
    # The report table and the scoring step's table share a file name, not a folder.
    assert outputs.path(paths, "report_verification_allocation").parent.name == "report_inputs"
    assert outputs.path(paths, "verification_allocation").parent.name == "score"
    with pytest.raises(ValueError, match="one file per area"):
        outputs.path(paths, "field_list_csv")
    with pytest.raises(KeyError, match="not declared"):
        outputs.path(paths, "expected_errors_by_desa")


@pytest.mark.parametrize(
    ("relative", "name"),
    [
        ("data/processed/score/expected_errors_by_area.csv", "expected_errors_by_area"),
        ("data/processed/report_inputs/verification_allocation.csv",
         "report_verification_allocation"),
        ("restricted/verification_lists/74.05.11-laonti.csv", "field_list_csv"),
        ("restricted/verification_lists/74.05.11-laonti.xlsx", "field_list_xlsx"),
        ("restricted/verification_decisions/round_2/keputusan_74.05.01.2003.xlsx",
         "verification_decisions"),
        ("data/processed/verification/rejected/verification_results.csv",
         "rejected_verification_results"),
        ("data/processed/report_inputs/charts/allocation-id-f2cd376a.npz", "chart_drawings"),
        ("data/processed/expected_errors_by_area.csv", None),  # right name, wrong folder
        ("restricted/verification_lists/laonti.csv", None),  # not a kecamatan's list
        ("restricted/verification_lists/sub/74.05.11-laonti.csv", None),
    ],
)  # fmt: skip
def test_find_matches_folder_and_name(relative, name):
    found = outputs.find(relative)
    assert (found.name if found else None) == name


def test_every_declared_column_has_a_unit_and_a_meaning():
    for o in outputs.OUTPUTS:
        assert len(set(o.columns)) == len(o.columns), o.name
        assert set(o.key) <= set(o.columns), o.name
        for c in o.expected_columns():
            f = outputs.field(c)
            assert f.unit and f.meaning, (o.name, c)


def test_interval_and_direct_columns_derive_from_their_base():
    f = outputs.field("direct_poverty_rate_low")
    assert f.unit == outputs.field("poverty_rate").unit == "share (0 to 1)"
    assert f.meaning.startswith("lower end of the interval of `direct_poverty_rate`")
    with pytest.raises(KeyError, match="declared neither"):
        outputs.field("poverty_rate_lo")  # no such base or suffix


def test_rejected_rows_carry_no_personal_column():
    cols = outputs.output("rejected_register").expected_columns()
    assert cols[:3] == ("source_row", "reasons", "household_id")
    assert not {"nik_head", "name_head"} & set(cols)


def test_docs_outputs_is_the_generated_registry():
    doc = DOC.read_text(encoding="utf-8")
    assert GENERATED in doc, "docs/outputs.md lost its generated part's marker"
    assert doc.split(GENERATED, 1)[1].strip() == outputs.to_markdown().strip(), (
        "docs/outputs.md is out of date: regenerate it with the command on its first lines"
    )


# --------------------------------------------------------------------------------------
# (b) A file name spelled in the package is a declared output or a declared input
# --------------------------------------------------------------------------------------

_FILE = re.compile(r"^(?:[\w.\-]+/)*[\w\-][\w.\-]*\.(?:csv|json|parquet|xlsx|png)$")
#: Inputs, declared where they are read: the raw tables, the synthetic data's card, the
#: reference desa; a verification round's returned files (data/raw/verification,
#: verification/rounds.py reads round_N_plan.csv and round_N_results.xlsx/.csv); the
#: partitions of a partitioned register (scale/partitioned.py).
_INPUTS = {*TABLE_FILES.values(), MANIFEST_FILE, VILLAGES_FILE.name}
_INPUT_PATTERNS = (
    "round_*_plan.csv",
    "round_*_results.xlsx",
    "round_*_results.csv",
    "part-*.parquet",
)


def _docstrings(tree: ast.AST) -> set[int]:
    kinds = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, kinds) and node.body and isinstance(node.body[0], ast.Expr)
    }


def undeclared_file_names(source: str) -> list[str]:
    """File names (string literals, docstrings aside) neither output nor input."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    declared = outputs.declared_file_names()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            if not _FILE.match(node.value):
                continue
            name = node.value.rsplit("/", 1)[-1]
            known = name in declared or name in _INPUTS
            patterns = (*(d for d in declared if "*" in d or "?" in d), *_INPUT_PATTERNS)
            if not known and not any(fnmatchcase(name, p) for p in patterns):
                found.append(node.value)
    return found


def test_the_source_scan_finds_an_undeclared_output_file():
    fake = '''"""A module that writes expected_errors_by_desa.csv (docstrings are not code)."""
OUT = "expected_errors_by_desa.csv"
READ = "data/processed/score/expected_errors_by_area.csv"
RAW = "register.parquet"
LISTS = "74.05.01-tinanggea.xlsx"
'''
    assert undeclared_file_names(fake) == ["expected_errors_by_desa.csv"]


def test_every_file_name_the_package_spells_is_declared():
    bad = {
        str(p.relative_to(PACKAGE)): names
        for p in sorted(PACKAGE.rglob("*.py"))
        if (names := undeclared_file_names(p.read_text(encoding="utf-8")))
    }
    assert bad == {}, "declare these in konsel_analysis/outputs.py (or as an input)"


# --------------------------------------------------------------------------------------
# (c) Column names the readers spell are declared columns
# --------------------------------------------------------------------------------------

READERS = (
    *sorted((PACKAGE / "reports").rglob("*.py")),
    PACKAGE / "explore.py",
    PACKAGE / "explore_impact.py",
)
#: Keyword arguments of pandas that name columns.
_COLUMN_KEYWORDS = {"usecols", "columns", "subset", "on", "by", "index", "values"}
#: Subscripted strings in the readers that are not table columns, and why.
NOT_COLUMNS = {
    # model_card.json's keys (a JSON output: declared by file, not by key)
    "at_rate", "at_line", "best", "name", "data", "estimators", "validation",
    # the workbench's in-memory what-if tables and probability dicts (explore.py,
    # explore_impact.py): computed on each slider move, never written to a file
    "extreme_before_share", "extreme_after_share", "coverage_poor_persons",
    "coverage_extreme_poor_persons", "p_extreme", "group_p_poor", "group_p_extreme",
    "survey_p_poor", "survey_p_extreme", "extreme_before", "extreme_after", "household",
    "extreme_before_persons", "extreme_after_persons",
    # the cached chart drawings' arrays (reports/shaded.py, an .npz cache)
    "codes", "edges", "marked", "plain",
}  # fmt: skip


def _strings(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return [s for e in node.elts for s in _strings(e)]
    return []


def _root(node: ast.AST) -> ast.AST:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node


def _made_here(tree: ast.AST) -> set[str]:
    """Columns a module makes itself: assigned, named in .assign/.agg, or dict keys."""
    made = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
            made.update(_strings(node.slice))
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) in ("assign", "agg"):
            made.update(k.arg for k in node.keywords if k.arg)
        elif isinstance(node, ast.Dict) and all(_strings(k) for k in node.keys if k):
            made.update(s for k in node.keys if k for s in _strings(k))
    return made


def _is_not_a_table(sub: ast.Subscript) -> bool:
    """Subscripts of constants (COLOURS["pkh"]), of Literal[...], and row labels (.loc["x"])."""
    root = _root(sub.value)
    if isinstance(root, ast.Name) and (root.id.isupper() or root.id in ("Literal", "os")):
        return True
    if isinstance(sub.value, ast.Attribute) and sub.value.attr.isupper():
        return True
    return isinstance(sub.value, ast.Attribute) and sub.value.attr in ("loc", "at")


def unknown_columns(source: str) -> list[str]:
    """Column names a reader module spells that no output or raw table declares."""
    tree = ast.parse(source)
    made = _made_here(tree)
    spelled = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            if not _is_not_a_table(node):
                spelled += _strings(node.slice)
        elif isinstance(node, ast.keyword) and node.arg in _COLUMN_KEYWORDS:
            spelled += _strings(node.value)
    return [
        name
        for name in spelled
        if name not in made and name not in NOT_COLUMNS and not outputs.is_declared_column(name)
    ]


def test_the_column_scan_finds_a_misspelt_column():
    fake = """
def read(path):
    t = pd.read_csv(path, usecols=["area", "expected_inclusion_error"])
    t["share"] = t["expected_inclusion_errors"] / t["beneficiaries"]
    return t[["area", "share", "beneficiarys"]], COLOURS["pkh"], t.loc["ALL"]
"""
    # "share" is made here; COLOURS and .loc["ALL"] are not columns.
    assert unknown_columns(fake) == ["expected_inclusion_error", "beneficiarys"]


@pytest.mark.parametrize("module", READERS, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_readers_spell_only_declared_columns(module):
    assert unknown_columns(module.read_text(encoding="utf-8")) == [], (
        "declare the column in konsel_analysis/outputs.py (or in the dictionary)"
    )
