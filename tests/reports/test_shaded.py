"""The charts of all kecamatan, drawn twice per build and cut per report (reports/shaded.py).

What must hold: a report's picture is, pixel for pixel, the chart drawn with its
own row highlighted; the two drawings are made once per tables' key and language
(and by one report when several ask at once); another key replaces them.
"""

from __future__ import annotations

import base64
import io
import re
import threading
import time

import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image

from konsel_analysis.reports import charts, sections, shaded


@pytest.fixture(scope="module")
def report(built):
    return sections.open_kecamatan_report("74.05.01", project_root=str(built.root))


def _draws(report) -> dict:
    names, kecamatan = report.summary["area_name"], report.kecamatan_names
    intervals = report.table("targeting_intervals")
    expected = report.table("expected_errors")
    allocation = report.table("verification_allocation")
    return {
        "errors_by_kecamatan": lambda h: charts.plot_errors_by_kecamatan(intervals, names, "id", h),
        "expected_errors": lambda h: charts.plot_expected_errors(expected, kecamatan, "id", h),
        "allocation": lambda h: charts.plot_allocation(allocation, kecamatan, "id", h),
    }


def _direct(draw, highlight) -> np.ndarray:
    fig = draw(highlight)
    fig.canvas.draw()
    pixels = np.array(fig.canvas.buffer_rgba())[..., :3]
    plt.close(fig)
    return pixels


@pytest.mark.parametrize("chart", ["errors_by_kecamatan", "expected_errors", "allocation"])
def test_a_cut_picture_is_the_chart_drawn_with_that_row_highlighted(report, chart):
    draw = _draws(report)[chart]
    both = shaded.draw_both(draw)
    assert len(both.bands) == 25
    for code in ("74.05.01", "74.05.13", "74.05.25"):  # top, middle and bottom rows
        picture = both.picture(code)
        assert np.array_equal(picture, _direct(draw, code)), code
        # and the row is really marked: the picture differs from the plain one, in its band only
        changed = np.flatnonzero((picture != both.plain).any(axis=(1, 2)))
        top, bottom = both.bands[code]
        assert changed.size > 0 and changed.min() >= top and changed.max() < bottom


def test_bands_are_one_row_each_top_to_bottom_without_overlap(report):
    both = shaded.draw_both(_draws(report)["expected_errors"])
    edges = [both.bands[code] for code in report.kecamatan_names.index]
    heights = {bottom - top for top, bottom in edges}
    assert max(heights) - min(heights) <= 1  # 25 equal rows, up to rounding
    assert all(b1 <= t2 for (_, b1), (t2, _) in zip(edges, edges[1:], strict=False))


def test_a_code_without_a_row_gets_the_plain_chart(report):
    both = shaded.draw_both(_draws(report)["allocation"])
    assert both.picture("74.05.99") is both.plain


def _embedded_pixels(html: str) -> np.ndarray:
    data = re.search(r'src="data:image/png;base64,([^"]+)"', html).group(1)
    return np.array(Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB"))


def test_the_build_kept_both_drawings_and_reports_read_them_without_drawing(report, monkeypatch):
    folder = report.inputs.folder / shaded.CACHE_DIRNAME
    kept = sorted(p.name.rsplit("-", 1)[0] for p in folder.glob("*.npz"))
    assert kept == ["allocation-id", "errors_by_kecamatan-id", "expected_errors-id"]

    def no_drawing(draw):
        raise AssertionError("drew again although the build kept the drawings")

    monkeypatch.setattr(shaded, "draw_both", no_drawing)
    draw = _draws(report)["expected_errors"]
    html = shaded.shaded_figure_html(
        "expected_errors",
        draw,
        "74.05.11",
        folder=report.inputs.folder,
        inputs_key=report.inputs.key,
        language="id",
        alt="alt text",
    )
    monkeypatch.undo()
    assert np.array_equal(_embedded_pixels(html), _direct(draw, "74.05.11"))
    assert 'alt="alt text"' in html


def test_another_key_replaces_the_drawings_and_the_regency_draws_directly(report, tmp_path):
    draw = _draws(report)["allocation"]
    calls = []

    def counted(h):
        calls.append(h)
        return draw(h)

    for key in ("first", "first", "second"):
        shaded.drawings("allocation", counted, tmp_path, key, "en")
    assert calls == ["", charts.EVERY_ROW, "", charts.EVERY_ROW]  # drawn once per key
    assert len(list((tmp_path / shaded.CACHE_DIRNAME).glob("allocation-en-*.npz"))) == 1
    calls.clear()
    html = shaded.shaded_figure_html(
        "allocation", counted, None, folder=tmp_path, inputs_key="x", language="en", alt="a"
    )
    assert calls == [None]  # every bar labelled, nothing shaded: not cut from the drawings
    assert np.array_equal(_embedded_pixels(html)[..., :3], _direct(draw, None))


def test_reports_asking_at_once_draw_once(report, tmp_path):
    draw = _draws(report)["errors_by_kecamatan"]
    calls = []

    def slow(h):
        calls.append(h)
        time.sleep(0.3)  # long enough for the other thread to ask meanwhile
        return draw(h)

    got = []
    threads = [
        threading.Thread(
            target=lambda: got.append(
                shaded.drawings("errors_by_kecamatan", slow, tmp_path, "k", "id")
            )
        )
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 2  # one drawing with no row marked, one with all: by one thread
    assert np.array_equal(got[0].plain, got[1].plain)


def test_a_folder_that_cannot_be_written_still_gives_the_chart(report, tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("", encoding="utf-8")
    draw = _draws(report)["expected_errors"]
    made = shaded.drawings("expected_errors", draw, not_a_folder, "k", "id")
    assert np.array_equal(made.picture("74.05.02"), _direct(draw, "74.05.02"))


@pytest.mark.parametrize("damage", ["replaced", "cut in half", "one bit in the pixels"])
def test_a_damaged_drawing_is_drawn_again(report, tmp_path, damage):
    draw = _draws(report)["expected_errors"]
    shaded.drawings("expected_errors", draw, tmp_path, "k", "id")
    (kept,) = (tmp_path / shaded.CACHE_DIRNAME).glob("*.npz")
    blob = bytearray(kept.read_bytes())
    if damage == "replaced":
        blob = bytearray(b"half a file")
    elif damage == "cut in half":
        blob = blob[: len(blob) // 2]
    else:  # inside the first array's data (the zip's CRC catches it)
        blob[len(blob) // 4] ^= 0x10
    kept.write_bytes(bytes(blob))
    assert shaded._load(kept) is None
    made = shaded.drawings("expected_errors", draw, tmp_path, "k", "id")
    assert np.array_equal(made.picture("74.05.03"), _direct(draw, "74.05.03"))
    assert shaded._load(kept) is not None  # replaced by a good one


def test_each_shaded_chart_says_which_row_is_shaded(built):
    """The three cut charts' captions name the shaded kecamatan; the regency has no shading."""
    page = next((built.reports / "kecamatan").glob("74.05.01-*.html")).read_text(encoding="utf-8")
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", page, re.DOTALL)
    said = "Kecamatan Tinanggea diberi latar kuning."
    assert len([c for c in captions if c.startswith(said)]) == 3
    regency = (built.reports / "regency.html").read_text(encoding="utf-8")
    assert "latar kuning" not in regency
