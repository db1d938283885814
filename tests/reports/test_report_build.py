"""`konsel reports` end to end on a small regency: outputs, links, self-containment, privacy."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+")


class _Links(HTMLParser):
    """Every src/href attribute and every tag name of a page."""

    def __init__(self):
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for key, value in attrs:
            if key in {"src", "href"} and value is not None:
                self.refs.append((tag, key, value))


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _pages(built) -> list[Path]:
    return sorted(built.reports.rglob("*.html"))


def find_identities(folder: Path, niks: set[str], names: set[str]) -> list[str]:
    """Every file under ``folder`` that holds one of the NIKs or names, with what it holds."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        text = path.read_bytes().decode("utf-8", errors="replace")
        hits = set(re.findall(r"\d{16}", text)) & niks
        hits |= {name for name in names if name in text}
        if hits:
            found.append(f"{path.relative_to(folder)}: {len(hits)} identities")
    return found


STEP_LINES = (
    ("[done] area summary", "wrote data/processed/register_summary_by_kecamatan"),
    ("[done] PMT validation", "wrote data/processed/pmt/"),
    ("[done] survey-measured targeting errors", "wrote data/processed/targeting/targeting_by_area"),
    # the five tables, and the workbench's three (workbench_register, _replicates, _models)
    ("[done] register scoring", "wrote data/processed/score/ (8 files: CSV, JSON, PARQUET)"),
    ("[done] impact simulation", "wrote data/processed/impact/impact_by_area.csv"),
    ("shared report tables: computed", "3 of 3 reports built"),
)


def test_the_build_succeeds_and_shows_progress(built):
    assert built.exit_code == 0, built.stdout + built.stderr
    for i in (1, 2, 3):
        assert f"[{i}/3]" in built.stdout
    # Every step, in order, says what it wrote; nothing is left "not built yet".
    positions = [built.stdout.index(line) for pair in STEP_LINES for line in pair]
    assert positions == sorted(positions)
    assert "wrote restricted/verification_lists/ (50 files: CSV, XLSX)" in built.stdout
    assert "not built yet" not in built.stdout


def test_every_report_and_executed_notebook_exists(built):
    reports = built.reports
    assert (reports / "index.html").is_file()
    assert (reports / "regency.html").is_file()
    assert (reports / "kecamatan/74.05.01-tinanggea.html").is_file()
    assert (reports / "kecamatan/74.05.11-laonti.html").is_file()
    executed = sorted(p.relative_to(reports).as_posix() for p in reports.rglob("*.ipynb"))
    assert executed == [
        "executed/kecamatan/74.05.01-tinanggea.ipynb",
        "executed/kecamatan/74.05.11-laonti.ipynb",
        "executed/regency.ipynb",
    ]
    status = json.loads((reports / "build.json").read_text())
    assert [r["error"] for r in status["reports"]] == [None, None, None]


def test_executed_notebooks_ran_every_cell_without_error(built):
    for path in built.reports.rglob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(c.execution_count for c in code), path.name
        kinds = {o.output_type for c in code for o in c.outputs}
        assert "error" not in kinds, path.name
        streams = [o for c in code for o in c.outputs if o.output_type == "stream"]
        assert not [o for o in streams if o.name == "stderr"], f"{path.name} printed warnings"


def test_kernels_talked_over_sockets_of_their_own_not_tcp(built, tmp_path, monkeypatch):
    """Two kernels started at once never share a port or a socket (one died at start
    over TCP in a benchmark build); the build's kernels said nothing about TCP."""
    from konsel_analysis.reports.workers import kernel_manager_class

    log = (built.reports / "executed" / "kernels.log").read_text(encoding="utf-8")
    assert "over TCP" not in log
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path))
    manager = kernel_manager_class()
    one, two = manager(), manager()
    assert one.transport == two.transport == "ipc"
    assert Path(one.ip).parent != Path(two.ip).parent
    assert Path(one.ip).parent.parent == tmp_path
    assert oct(Path(one.ip).parent.stat().st_mode & 0o777) == "0o700"


def test_index_links_resolve_and_list_the_headline_figures(built):
    index = built.reports / "index.html"
    links = [v for tag, key, v in _parse(index).refs if key == "href"]
    assert "regency.html" in links
    assert "kecamatan/74.05.01-tinanggea.html" in links
    for href in links:
        assert (index.parent / href).is_file(), href
    text = index.read_text()
    assert "Tinanggea" in text and "Laonti" in text and "selesai" in text
    assert "Penduduk miskin" in text and "%" in text


def test_each_report_links_back_to_the_index(built):
    for page in _pages(built):
        for _tag, key, href in _parse(page).refs:
            if key == "href" and not href.startswith("#"):
                assert (page.parent / href).resolve().is_file(), f"{page.name}: {href}"


def test_pages_are_self_contained(built):
    for page in _pages(built):
        parsed = _parse(page)
        assert "script" not in parsed.tags, f"{page.name} has a script"
        assert "link" not in parsed.tags, f"{page.name} links a stylesheet or font"
        for tag, key, value in parsed.refs:
            if key == "src":
                assert value.startswith("data:image/png;base64,"), (
                    f"{page.name}: {tag} {value[:60]}"
                )
        text = DATA_URI.sub("", page.read_text(encoding="utf-8"))
        assert "http://" not in text and "https://" not in text, page.name
        assert "@import" not in text and "url(" not in text, page.name


def test_pages_show_outputs_not_code(built):
    path = built.reports / "kecamatan/74.05.01-tinanggea.html"
    page = path.read_text(encoding="utf-8")
    assert "rs.show_" not in page and "open_kecamatan_report" not in page
    assert "Kecamatan Tinanggea (74.05.01)" in page
    images = [v for tag, key, v in _parse(path).refs if tag == "img"]
    assert len(images) == 6 and all(v.startswith("data:image/png;base64,") for v in images)
    for heading in (
        "Ringkasan",
        "Perkiraan salah sasaran di register",
        "Kesalahan penargetan",
        "Rincian per desa",
        "Alokasi verifikasi",
        "Rumah tangga prioritas verifikasi",
        "Simulasi dampak",
        "Kualitas data",
        "Kantong kemiskinan",
        "Catatan metode",
    ):
        assert f"<h2>{heading}</h2>" in page
    assert "Data quality" not in page  # one language per page
    # Every section is drawn now: none waits for a model.
    assert "Belum tersedia" not in page
    # Notebook-only bilingual headings stay in the notebook.
    assert "Ringkasan · Summary" not in page


def test_no_nik_or_name_reaches_reports(built, register_identities):
    niks, names = register_identities
    assert len(niks) == 4_000
    assert find_identities(built.reports, niks, names) == []


def test_the_identity_scan_finds_a_planted_nik_and_name(tmp_path, register_identities):
    niks, names = register_identities
    nik, name = sorted(niks)[0], sorted(names)[0]
    (tmp_path / "leak.html").write_text(f"<p>{nik}</p>")
    (tmp_path / "leak.ipynb").write_text(json.dumps({"text": f"Nama: {name}"}))
    assert len(find_identities(tmp_path, niks, names)) == 2


def test_a_second_build_reuses_every_step_and_page(built, reports_runner):
    processed = built.root / "data" / "processed"
    outputs = sorted(
        p for p in processed.rglob("*") if p.is_file() and "report_inputs" not in p.parts
    )
    pages = [built.reports / "regency.html", built.reports / "kecamatan/74.05.01-tinanggea.html"]
    before = {p: p.stat().st_mtime_ns for p in [*outputs, *pages]}
    code, out, _ = reports_runner(built.root, only=["74.05.01"])
    assert code == 0
    assert out.count("[reused]") == 9 and "[done] PMT" not in out  # eight steps, the pages
    assert "shared report tables: reused" in out
    assert "[reused] 2 of 2 reports" in out and "(2 unchanged, reused)" in out
    assert {p: p.stat().st_mtime_ns for p in [*outputs, *pages]} == before
    # The page of the kecamatan left out of this build keeps its key: a later full build
    # reuses it too.
    keys = json.loads((built.reports / "executed/render_keys.json").read_text())
    assert "kecamatan/74.05.11-laonti.html" in keys


def test_a_step_reruns_when_its_settings_change(built, pipeline_settings):
    from konsel_analysis.build.steps import STEPS, StepContext, run_step
    from konsel_analysis.paths import ProjectPaths

    impact = next(s for s in STEPS if s.name.startswith("impact"))
    ctx = StepContext(ProjectPaths(built.root), pipeline_settings)
    assert run_step(impact, ctx).reused
    other = StepContext(ProjectPaths(built.root), replace(pipeline_settings, seed=1))
    assert not run_step(impact, other).reused
    assert not run_step(impact, ctx).reused  # back to the build's seed: recomputed again
    assert run_step(impact, ctx).reused


def test_the_statisticians_notebook_runs_on_the_small_regency(built, tmp_path):
    notebook = Path(__file__).resolve().parents[2] / "notebooks" / "survey_exploration.ipynb"
    papermill = Path(sys.executable).with_name("papermill")
    out = tmp_path / "survey_exploration.ipynb"
    subprocess.run(
        [
            str(papermill),
            str(notebook),
            str(out),
            "-p",
            "project_root",
            str(built.root),
            "--no-progress-bar",
            "-k",
            "python3",
        ],
        check=True,
        capture_output=True,
    )
    outputs = [o for c in nbformat.read(out, as_version=4).cells for o in c.get("outputs", [])]
    assert any("report tables" in o.get("text", "") for o in outputs)
    assert any("image/png" in o.get("data", {}) for o in outputs)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--only", "74.05.99"], "not one of the 25 kecamatan"),
        (["--only", "7405080"], "not a Konawe Selatan"),
        (["--scheduler", "tcp://127.0.0.1:8786"], "is for --engine dask"),
        (["--jobs", "0"], "at least 1"),
    ],
)
def test_bad_options_stop_before_any_work_with_one_message(tmp_path, konsel_project, args, message):
    make_project, run_konsel = konsel_project
    root = make_project(tmp_path, households=1_000, seed=3)
    code, out, err = run_konsel(root, ["reports", *args])
    assert code == 2
    assert message in err and "Traceback" not in err
    assert not (root / "reports" / "index.html").exists()
    assert not (root / "data/processed/register_summary_by_kecamatan.csv").exists()


def test_a_damaged_page_is_built_again_not_trusted(built, reports_runner, caplog):
    """One flipped byte in a kept page: the next build sees its digest differ, says so and
    builds the page again, byte for byte what it was; the untouched page is reused."""
    page = built.reports / "kecamatan/74.05.11-laonti.html"
    good = page.read_bytes()
    damaged = bytearray(good)
    damaged[len(damaged) // 2] ^= 0x01
    page.write_bytes(bytes(damaged))
    with caplog.at_level("WARNING", logger="konsel_analysis.build.manifest"):
        code, out, _ = reports_runner(built.root)
    assert code == 0
    assert "kecamatan/74.05.11-laonti.html changed since it was written" in caplog.text
    assert "[reused] 2 of 3 reports" in out  # the regency and Tinanggea kept
    assert page.read_bytes() == good


def test_a_damaged_step_output_or_report_table_is_recomputed_not_trusted(
    built, reports_runner, caplog
):
    """One figure edited in a step's output and one report table cut short: the next build
    recomputes both (and says so), and every page stays what a clean build makes."""
    score = built.root / "data/processed/score/expected_errors_by_area.csv"
    area_summary = built.root / "data/processed/report_inputs/area_summary.csv"
    page = built.reports / "kecamatan/74.05.01-tinanggea.html"
    good = {p: p.read_bytes() for p in (score, area_summary, page)}
    lines = good[score].decode().splitlines()
    first = lines[1].split(",")
    assert lines[0].split(",")[3] == "expected_inclusion_errors"
    first[3] = f"{float(first[3]) + 100:.6f}"  # a hundred more expected inclusion errors
    score.write_text("\n".join([lines[0], ",".join(first), *lines[2:]]) + "\n")
    area_summary.write_bytes(good[area_summary][: len(good[area_summary]) // 3])
    with caplog.at_level("WARNING", logger="konsel_analysis.build.manifest"):
        code, out, _ = reports_runner(built.root)
    assert code == 0
    assert "data/processed/score/expected_errors_by_area.csv changed since it was written" in (
        caplog.text
    )
    assert "area_summary.csv changed since it was written" in caplog.text
    assert "[done] register scoring" in out
    assert {p: p.read_bytes() for p in good} == good
