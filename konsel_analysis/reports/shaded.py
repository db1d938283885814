"""Charts of all 25 kecamatan with one row marked: drawn twice per build, not 26 times.

Three charts (targeting errors by kecamatan, expected errors in the register,
verification visits) are the same in every kecamatan report but for the report's
own row: shaded yellow, its name bold, its bar labelled. Drawing them was most of
what a report costs beyond starting its kernel (issue 5). So each is drawn twice
per build, once with no row marked and once with every row marked
(:data:`~konsel_analysis.reports.charts.EVERY_ROW`), and a report's picture is
the first with its own row's band of pixels taken from the second. The two
drawings are kept beside the report tables (``charts/<chart>-<language>-<key>.npz``),
keyed by the tables' key, the language and this code; whichever report needs
them first draws them, the others wait on a file lock and read them.

The picture is, pixel for pixel, the chart drawn with ``highlight=code`` (the
band has no edge line, so it covers whole pixel rows): tests/reports/test_shaded.py.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from konsel_analysis.files import write_atomic
from konsel_analysis.reports import charts

try:  # POSIX; elsewhere two reports may both draw, which only costs time
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

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


@cache
def _code_digest() -> str:
    """This code, the charts' code and matplotlib's version: what the pixels depend on."""
    digest = hashlib.sha256(matplotlib.__version__.encode())
    for module in (charts.__file__, __file__):
        digest.update(Path(module).read_bytes())
    return digest.hexdigest()


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


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (a lock file) while drawing; no-op without fcntl."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def drawings(
    chart: str, draw: Callable[[str], Figure], folder: Path, inputs_key: str, language: str
) -> Drawings:
    """The two drawings of ``chart`` for these report tables, from ``folder/charts`` or drawn
    now (and kept there, earlier keys' drawings of the same chart removed)."""
    key = hashlib.sha256(f"{inputs_key}|{language}|{_code_digest()}".encode()).hexdigest()[:20]
    cache = folder / CACHE_DIRNAME
    path = cache / f"{chart}-{language}-{key}.npz"
    kept = _load(path)
    if kept is not None:
        return kept
    try:
        cache.mkdir(parents=True, exist_ok=True)
        with _locked(cache / f"{chart}-{language}.lock"):
            kept = _load(path)  # drawn by another report while this one waited?
            if kept is not None:
                return kept
            made = draw_both(draw)
            _save(path, made)
            for old in cache.glob(f"{chart}-{language}-*.npz"):
                if old != path:
                    old.unlink(missing_ok=True)
            return made
    except OSError:  # a folder this user may not write: draw, keep nothing
        return draw_both(draw)


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
