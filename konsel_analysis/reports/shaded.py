"""Charts of all 25 kecamatan with one row marked: drawn twice per build, not 26 times.

Three charts (targeting errors by kecamatan, expected errors in the register,
verification visits) are the same in every kecamatan report but for the report's
own row: shaded yellow, its name bold, its bar labelled. Drawing them was most of
what a report costs beyond starting its kernel (issue 5). So each is drawn twice
per build, once with no row marked and once with every row marked
(:data:`~konsel_analysis.reports.charts.EVERY_ROW`), and a report's picture is
the first with its own row's band of pixels taken from the second. The two
drawings are kept beside the report tables (``charts/<chart>-<language>-<key>.npz``),
a build task (:func:`drawings_task`) keyed by the tables' key, the language and this
code; whichever report needs them first draws them, the others wait on its lock and
read them.

The picture is, pixel for pixel, the chart drawn with ``highlight=code`` (the
band has no edge line, so it covers whole pixel rows): tests/reports/test_shaded.py.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from konsel_analysis.build.task import Made, Task, run_or_reuse
from konsel_analysis.files import write_atomic
from konsel_analysis.reports import charts

CACHE_DIRNAME = "charts"


@dataclass(frozen=True)
class Drawings:
    """A chart drawn with no row marked and with every row marked, and each row's band."""

    plain: np.ndarray  # height x width x 3, uint8
    marked: np.ndarray
    bands: dict[str, tuple[int, int]]  # kecamatan code -> (top, bottom) pixel rows

    def picture(self, highlight: str | None) -> np.ndarray:
        """The chart with ``highlight``'s row marked (none when it has no row here)."""
        if highlight not in self.bands:
            return self.plain
        top, bottom = self.bands[highlight]
        out = self.plain.copy()
        out[top:bottom] = self.marked[top:bottom]
        return out


def png(rgb: np.ndarray) -> bytes:
    """An RGB picture as PNG bytes (no text chunks: nothing but the pixels and their size)."""
    buffer = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buffer, format="png", dpi=(charts.DPI, charts.DPI))
    return buffer.getvalue()


def _pixels(fig: Figure) -> np.ndarray:
    fig.canvas.draw()
    return np.array(fig.canvas.buffer_rgba())[..., :3]


def draw_both(draw: Callable[[str], Figure]) -> Drawings:
    """Draw the chart twice, ``draw("")`` (no row marked) and ``draw(EVERY_ROW)``."""
    import matplotlib.pyplot as plt

    fig = draw("")
    plain = _pixels(fig)
    bands = charts.row_bands(fig, plain.shape[0])
    plt.close(fig)
    fig = draw(charts.EVERY_ROW)
    marked = _pixels(fig)
    plt.close(fig)
    if marked.shape != plain.shape:  # the two drawings must lie on the same pixels
        raise RuntimeError("the chart's size changed when its rows were marked")
    return Drawings(plain, marked, bands)


def _save(path: Path, drawings: Drawings) -> None:
    codes = np.array(list(drawings.bands), dtype=str)
    edges = np.array(list(drawings.bands.values()), dtype=np.int64).reshape(-1, 2)

    def write(tmp: str) -> None:
        with open(tmp, "wb") as out:
            np.savez(out, plain=drawings.plain, marked=drawings.marked, codes=codes, edges=edges)

    write_atomic(path, write)


def _load(path: Path) -> Drawings | None:
    """The kept drawings, or ``None`` when there are none (or none that can be read)."""
    try:
        with np.load(path, allow_pickle=False) as saved:
            bands = {
                str(c): (int(top), int(bottom))
                for c, (top, bottom) in zip(saved["codes"], saved["edges"], strict=True)
            }
            return Drawings(saved["plain"], saved["marked"], bands)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        # damaged (cut short, a flipped bit fails the zip's CRC): draw again, replace it
        return None


def drawings_task(
    chart: str, draw: Callable[[str], Figure], folder: Path, inputs_key: str, language: str
) -> Task:
    """The two drawings of ``chart`` as a build task, kept in ``folder/charts``: its key
    holds the report tables' key, the language, this code (and the charts' code it
    imports) and matplotlib's version; a lock lets the 25 reports ask at once (the first
    draws, the others wait and read)."""
    cache = folder / CACHE_DIRNAME
    path = cache / f"{chart}-{language}-{inputs_key[:20]}.npz"

    def draw_and_keep() -> Made:
        made = draw_both(draw)
        _save(path, made)
        for old in cache.glob(f"{chart}-{language}-*.npz"):
            if old != path:  # an earlier key's drawings: never read again
                old.unlink(missing_ok=True)
        return Made([path], value=made)

    return Task(
        name=f"chart drawings {chart} ({language})",
        manifest=cache / f"{chart}-{language}.json",
        root=cache,
        run=draw_and_keep,
        outputs=(path,),
        code=(__name__,),
        settings={"inputs": inputs_key, "language": language, "matplotlib": matplotlib.__version__},
        lock=cache / f"{chart}-{language}.lock",
    )


def drawings(
    chart: str, draw: Callable[[str], Figure], folder: Path, inputs_key: str, language: str
) -> Drawings:
    """The two drawings of ``chart`` for these report tables, from ``folder/charts`` or drawn
    now (and kept there, earlier keys' drawings of the same chart removed)."""
    try:
        (folder / CACHE_DIRNAME).mkdir(parents=True, exist_ok=True)
        outcome = run_or_reuse(drawings_task(chart, draw, folder, inputs_key, language))
    except OSError:  # a folder this user may not write: draw, keep nothing
        return draw_both(draw)
    if outcome.value is not None:
        return outcome.value
    kept = _load(outcome.outputs[0])
    return kept if kept is not None else draw_both(draw)


def shaded_figure_html(
    chart: str,
    draw: Callable[[str], Figure],
    highlight: str | None,
    *,
    folder: Path,
    inputs_key: str,
    language: str,
    alt: str,
    caption: str = "",
) -> str:
    """``draw(highlight)`` as an embedded PNG, from the build's two drawings of ``chart``.

    ``draw`` takes the ``highlight`` argument of the chart functions. Without a row
    to mark (the regency report) the chart is simply drawn.
    """
    if highlight is None:
        return charts.figure_html(draw(None), alt, caption)
    made = drawings(chart, draw, folder, inputs_key, language)
    return charts.png_html(png(made.picture(highlight)), alt, caption)
