"""Charts of the poverty map that a statistician reads without the reports.

:func:`plot_direct_vs_model` is drawn by ``konsel poverty-map`` as
``DIR/direct_vs_model.png`` and, in the reports' colours, by the regency report's
Kantong kemiskinan section (:mod:`konsel_analysis.reports.sections.poverty_pockets`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter


def _tr(language: str, indonesian: str, english: str) -> str:
    return indonesian if language == "id" else english


def plot_direct_vs_model(
    table: pd.DataFrame,
    language: str = "id",
    unit: str = "desa",
    *,
    line_colour: str = "#444444",
    dot_colour: str = "#0072B2",
):
    """Direct (survey only) against model-based poverty rate of every sampled area.

    ``table`` has the columns of ``poverty_map.csv``; the dots' area grows with the
    area's survey households; on the 45-degree line the two estimates agree. Model
    estimates spread less than direct ones (they borrow strength), so the cloud is
    flatter than the line: that is the shrinkage, not a fault.
    """
    d = table[(table["sampled_households"] > 0)].dropna(
        subset=["direct_poverty_rate", "poverty_rate"]
    )
    fig = Figure(figsize=(7.0, 6.2))  # not pyplot's: no backend, no global state
    ax = fig.subplots()
    fig.subplots_adjust(left=0.13, right=0.97, top=0.88, bottom=0.11)
    n = d["sampled_households"].to_numpy(float)
    top = max(0.05, float(np.nanmax(d[["direct_poverty_rate", "poverty_rate"]].to_numpy())))
    top = min(1.0, top * 1.05)
    ax.plot([0, top], [0, top], color=line_colour, linestyle="--", linewidth=1,
            label=_tr(language, "garis 45° (sama)", "45° line (equal)"), zorder=1)  # fmt: skip
    ax.scatter(
        d["direct_poverty_rate"], d["poverty_rate"], s=12 * np.sqrt(n) + 4,
        color=dot_colour, alpha=0.55, edgecolor="white", linewidth=0.5, zorder=2,
    )  # fmt: skip
    sizes = sorted({int(v) for v in np.quantile(n, [0.0, 0.5, 1.0])}) if len(n) else []
    for k in sizes:  # legend entries of the dot sizes
        label = _tr(language, f"{k} rumah tangga survei", f"{k} survey households")
        ax.scatter([], [], s=12 * np.sqrt(k) + 4, color=dot_colour, alpha=0.55,
                   label=label)  # fmt: skip
    pad = 0.02 * top  # desa with no poor survey household sit on the axis: keep them seen
    ax.set_xlim(-pad, top)
    ax.set_ylim(-pad, top)
    ax.set_aspect("equal")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:.0f}%"))
    ax.set_xlabel(
        _tr(language, "Langsung dari survei (tertimbang)", "Direct from the survey (weighted)")
    )
    ax.set_ylabel(_tr(language, "Perkiraan model (EB)", "Model estimate (EB)"))
    ax.set_title(
        _tr(
            language,
            f"Penduduk miskin per {unit} dalam survei ({len(d)} {unit}):\nlangsung dan model",
            f"People poor per surveyed {unit} ({len(d)} {unit}):\ndirect and model",
        )
    )
    ax.legend(loc="upper left", fontsize=8)
    return fig
