"""The reports' charts: matplotlib and seaborn, drawn from the cached report tables.

Every chart is labelled in the report's language, shows its units (Rp, %) and
marks what is hidden. Functions take tables and return a Figure; the sections
turn it into an embedded PNG (:func:`figure_html`), so the HTML needs no file
beside it and fetches nothing.
"""

from __future__ import annotations

import base64
import html
import io

import matplotlib

matplotlib.use("Agg")  # the sections embed PNGs themselves; no GUI, no inline backend needed

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from konsel_analysis.dictionary import label  # noqa: E402
from konsel_analysis.reports.report_data import ReportSettings  # noqa: E402
from konsel_analysis.reports.text import number, percent, programme_name, rupiah, tr  # noqa: E402

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
COLOURS = {
    "pkh": "#0072B2",
    "bpnt": "#E69F00",
    "recipient": "#0072B2",
    "non_recipient": "#999999",
    "highlight": "#FCE8B2",
    "regency": "#444444",
    "perfect": "#009E73",
    "actual": "#0072B2",
    "random": "#999999",
}
DPI = 100
#: ``highlight`` of the charts of all kecamatan: every row marked as a kecamatan report marks
#: its own (shaded, bold, labelled). :mod:`konsel_analysis.reports.shaded` cuts one row out.
EVERY_ROW = "*"
_ROWS = "_konsel_kecamatan_rows"  # figure attribute: (axes, {code: y}) of the kecamatan rows


def use_report_style() -> None:
    """The look of every chart: seaborn's white grid, readable font sizes."""
    sns.set_theme(style="whitegrid", context="notebook", font_scale=1.0)
    plt.rcParams.update(
        {
            "figure.dpi": DPI,
            "axes.titlesize": 12,
            "axes.titleweight": "bold",
            "axes.titlelocation": "left",
            "legend.frameon": False,
        }
    )


def _percent_axis(axis, language: str, decimals: int = 0) -> None:
    axis.set_major_formatter(FuncFormatter(lambda v, _: percent(v, language, decimals)))


def figure_html(fig: Figure, alt: str, caption: str = "") -> str:
    """The figure as an embedded PNG inside ``<figure>``, with alt text; closes the figure."""
    buffer = io.BytesIO()
    # No "Software" tag: the PNG then carries no web address of its own.
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    return png_html(buffer.getvalue(), alt, caption)


def png_html(png: bytes, alt: str, caption: str = "") -> str:
    """A PNG embedded inside ``<figure>``, with alt text and an optional caption."""
    data = base64.b64encode(png).decode("ascii")
    caption_html = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
    return (
        f'<figure class="konsel-figure"><img src="data:image/png;base64,{data}" '
        f'alt="{html.escape(alt, quote=True)}">{caption_html}</figure>'
    )


def _marks(code: str, highlight: str | None) -> bool:
    """Whether ``code``'s row is marked (shaded, bold): it is the highlight, or every row is."""
    return highlight == EVERY_ROW or (highlight is not None and code == highlight)


def _remember_rows(fig: Figure, ax, codes: list[str], y: np.ndarray) -> None:
    setattr(fig, _ROWS, (ax, dict(zip(codes, (float(v) for v in y), strict=True))))


def row_bands(fig: Figure, height: int) -> dict[str, tuple[int, int]]:
    """Pixel rows ``(top, bottom)`` of each kecamatan's band (its y +- 0.5) in the drawn
    figure, ``height`` pixels high; the charts of all kecamatan record their rows."""
    ax, rows = getattr(fig, _ROWS)
    bands = {}
    for code, y in rows.items():
        (_, top), (_, bottom) = ax.transData.transform([(0.0, y + 0.5), (0.0, y - 0.5)])
        bands[code] = (int(round(height - top)), int(round(height - bottom)))
    return bands


def plot_errors_by_kecamatan(
    errors: pd.DataFrame, names: pd.Series, language: str, highlight: str | None = None
) -> Figure:
    """Inclusion and exclusion error of PKH and BPNT in every kecamatan, regency as lines.

    ``errors`` is the ``targeting_intervals`` table (estimates with ``_low`` and
    ``_high``; shrunk estimates drawn hollow) or, without intervals, the
    ``targeting_errors`` table; ``names`` maps area code to name (the regency's
    code included); ``highlight`` is the kecamatan to shade (:data:`EVERY_ROW`: all).
    """
    regency_code = names.index[-1]
    kec_codes = [c for c in names.index if c != regency_code]
    has_ci = "inclusion_error_low" in errors
    fig, axes = plt.subplots(1, 2, figsize=(10, 8.2 if has_ci else 7.6), sharey=True)
    # Fixed margins (no layout engine): as readable, and a third of the drawing time.
    fig.subplots_adjust(
        left=0.16, right=0.98, top=0.95, bottom=0.17 if has_ci else 0.15, wspace=0.08
    )
    y = np.arange(len(kec_codes))[::-1]
    panels = (
        (
            "inclusion_error",
            tr(language, "Kesalahan inklusi", "Inclusion error"),
            tr(language, "% penerima yang tidak miskin", "% of recipients who are not poor"),
        ),
        (
            "exclusion_error",
            tr(language, "Kesalahan eksklusi", "Exclusion error"),
            tr(
                language,
                "% rumah tangga miskin yang tidak menerima",
                "% of poor households not reached",
            ),
        ),
    )
    for ax, (measure, title, xlabel) in zip(axes, panels, strict=True):
        _shade_rows(ax, kec_codes, y, highlight)
        for offset, programme, marker in ((0.17, "pkh", "o"), (-0.17, "bpnt", "D")):
            table = errors[errors["programme"] == programme].set_index("area_code")
            table = table.reindex([*kec_codes, regency_code])
            value = table[measure].to_numpy(dtype=float)[:-1]
            colour = COLOURS[programme]
            if has_ci:
                low = table[f"{measure}_low"].to_numpy(dtype=float)[:-1]
                high = table[f"{measure}_high"].to_numpy(dtype=float)[:-1]
                ax.hlines(y + offset, low, high, color=colour, linewidth=1.2, alpha=0.7, zorder=2)
                kind = "inclusion" if measure == "inclusion_error" else "exclusion"
                shrunk = table[f"is_shrunk_{kind}"].fillna(False).to_numpy(bool)[:-1]
            else:
                shrunk = np.zeros(len(kec_codes), bool)
            for hollow in (False, True):
                chosen = shrunk == hollow
                ax.scatter(
                    value[chosen],
                    (y + offset)[chosen],
                    marker=marker,
                    s=38,
                    facecolor="white" if hollow else colour,
                    edgecolor=colour,
                    linewidth=1.4,
                    label=programme_name(programme, language) if not hollow else None,
                    zorder=3,
                )
            regency_value = float(table[measure].iloc[-1])
            ax.axvline(regency_value, color=colour, linestyle="--", linewidth=1.2)
        ax.set_xlim(-0.03, 1.03)
        _percent_axis(ax.xaxis, language)
        ax.set_title(title)
        ax.set_xlabel(xlabel)
        ax.grid(axis="y", visible=False)
    axes[0].set_yticks(y, [names[c] for c in kec_codes])
    axes[0].set_ylim(-0.7, len(kec_codes) - 0.3)
    _bold_labels(axes[0], kec_codes, highlight)
    _remember_rows(fig, axes[0], kec_codes, y)
    handles, labels = axes[0].get_legend_handles_labels()
    handles.append(plt.Line2D([], [], color=COLOURS["regency"], linestyle="--"))
    labels.append(tr(language, "Kabupaten (garis putus-putus)", "Regency (dashed line)"))
    if has_ci:
        handles.append(plt.Line2D([], [], color=COLOURS["regency"], linewidth=1.2))
        labels.append(tr(language, "Rentang 95%", "95% range"))
        handles.append(
            plt.Line2D(
                [],
                [],
                marker="o",
                linestyle="",
                markerfacecolor="white",
                markeredgecolor=COLOURS["regency"],
            )
        )
        labels.append(
            tr(
                language,
                "Titik kosong: ditarik ke angka kabupaten (sampel kecil)",
                "Hollow: pulled towards the regency (small sample)",
            )
        )
    fig.legend(handles, labels, loc="lower center", ncol=3, bbox_to_anchor=(0.5, 0.0))
    return fig


def _shade_rows(ax, codes: list[str], y: np.ndarray, highlight: str | None) -> None:
    """The highlighted kecamatan's row shaded yellow (every row: the whole background)."""
    if highlight == EVERY_ROW:
        ax.set_facecolor(COLOURS["highlight"])
    elif highlight in codes:
        row = y[codes.index(highlight)]
        ax.axhspan(row - 0.5, row + 0.5, facecolor=COLOURS["highlight"], linewidth=0, zorder=0)


def _bold_labels(ax, codes: list[str], highlight: str | None) -> None:
    labels = ax.get_yticklabels()  # empty on the right panel of a shared axis
    for code, text in zip(codes, labels, strict=False):  # no labels: the right panel
        if _marks(code, highlight):
            text.set_fontweight("bold")


def _kecamatan_axis(ax, codes: list[str], names: pd.Series, highlight: str | None) -> np.ndarray:
    """Kecamatan down the y axis (first at the top), the highlighted one shaded and bold."""
    y = np.arange(len(codes))[::-1]
    _shade_rows(ax, codes, y, highlight)
    ax.set_yticks(y, [str(names.get(c, c)) for c in codes])
    ax.set_ylim(-0.7, len(codes) - 0.3)
    _bold_labels(ax, codes, highlight)
    ax.grid(axis="y", visible=False)
    _remember_rows(ax.figure, ax, codes, y)
    return y


def plot_expected_errors(
    expected: pd.DataFrame, names: pd.Series, language: str, highlight: str | None = None
) -> Figure:
    """Expected inclusion and exclusion errors in the register per kecamatan, 90% ranges.

    ``expected`` is the ``expected_errors`` table; ``names`` maps kecamatan codes
    to names (the regency's code, if present, is left out).
    """
    table = expected[expected["area_code"].isin(names.index)].set_index("area_code")
    codes = [c for c in names.index if c in table.index]
    table = table.loc[codes]
    fig, axes = plt.subplots(1, 2, figsize=(10, 7.8), sharey=True)
    fig.subplots_adjust(left=0.16, right=0.97, top=0.93, bottom=0.15, wspace=0.08)
    panels = (
        (
            "expected_inclusion_errors",
            COLOURS["pkh"],
            tr(
                language,
                "Penerima yang kemungkinan tidak miskin",
                "Beneficiaries probably not poor",
            ),
        ),
        (
            "expected_exclusion_errors",
            COLOURS["bpnt"],
            tr(
                language,
                "Rumah tangga miskin yang tidak menerima",
                "Poor households not receiving",
            ),
        ),
    )
    for ax, (measure, colour, title) in zip(axes, panels, strict=True):
        y = _kecamatan_axis(ax, codes, names, highlight)
        ax.hlines(
            y,
            table[f"{measure}_low"],
            table[f"{measure}_high"],
            color=colour,
            linewidth=2.2,
            alpha=0.45,
            zorder=2,
        )
        ax.scatter(table[measure], y, color=colour, s=36, zorder=3)
        ax.set_title(title)
        ax.set_xlabel(tr(language, "rumah tangga di register", "households in the register"))
        ax.set_xlim(0, None)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: number(v, language)))
    handles = [
        plt.Line2D([], [], marker="o", linestyle="", color=COLOURS["regency"]),
        plt.Line2D([], [], color=COLOURS["regency"], linewidth=2.2, alpha=0.45),
    ]
    labels = [
        tr(language, "Perkiraan", "Estimate"),
        tr(language, "Rentang 90% (kemungkinan besar di sini)", "90% range (most likely in here)"),
    ]
    fig.legend(handles, labels, loc="lower center", ncol=2, bbox_to_anchor=(0.5, 0.0))
    return fig


def plot_allocation(
    allocation: pd.DataFrame, names: pd.Series, language: str, highlight: str | None = None
) -> Figure:
    """Verification visits per kecamatan, with the corrections they are expected to find.

    ``allocation`` is the ``verification_allocation`` table; ``names`` maps
    kecamatan codes to names. With ``highlight``, only that kecamatan's bar is
    labelled with its numbers (:data:`EVERY_ROW`: every bar, as without one).
    """
    table = allocation[allocation["area_code"].isin(names.index)].set_index("area_code")
    codes = [c for c in names.index if c in table.index]
    table = table.loc[codes]
    fig, ax = plt.subplots(figsize=(9.5, 8))
    fig.subplots_adjust(left=0.18, right=0.97, top=0.95, bottom=0.12)
    y = _kecamatan_axis(ax, codes, names, highlight)
    ax.barh(y, table["visits"], color="#9ECAE1", label=tr(language, "Kunjungan", "Visits"))
    ax.barh(
        y,
        table["expected_corrections"],
        height=0.45,
        color="#08519C",
        label=tr(
            language,
            "Kunjungan yang diperkirakan menemukan salah sasaran",
            "Visits expected to find a targeting error",
        ),
    )
    for yi, (code, row) in zip(y, table.iterrows(), strict=True):
        if highlight is not None and not _marks(code, highlight):
            continue  # a kecamatan report labels its own bar; the regency report, every bar
        ax.annotate(
            f"{number(row['visits'], language)}  ({number(row['expected_corrections'], language)})",
            (row["visits"], yi),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
        )
    ax.set_xlim(0, float(table["visits"].max()) * 1.22)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: number(v, language)))
    ax.set_xlabel(
        tr(
            language,
            "kunjungan verifikasi (dalam kurung: perkiraan salah sasaran yang ditemukan)",
            "verification visits (in brackets: expected targeting errors found)",
        )
    )
    fig.legend(loc="lower center", ncol=2, bbox_to_anchor=(0.5, 0.0))
    return fig


def plot_impact(rows: pd.DataFrame, language: str, area_label: str) -> Figure:
    """Poverty and extreme-poverty headcount now and after each correction scenario.

    ``rows`` holds one area's rows of ``impact_simulation`` (one per scenario).
    """
    by = rows.set_index("scenario")
    bars = [
        (tr(language, "Sekarang", "Now"), "verified", "before", "#999999"),
        (
            tr(language, "Setelah verifikasi lapangan", "After field verification"),
            "verified",
            "after",
            "#009E73",
        ),
        (
            tr(
                language,
                "Setelah mencoret menurut\nmodel saja (tanpa kunjungan)",
                "After acting on the model\nalone (no visits)",
            ),
            "model only",
            "after",
            "#D55E00",
        ),
    ]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.6))
    fig.subplots_adjust(left=0.08, right=0.98, top=0.84, bottom=0.2, wspace=0.25)
    for ax, (line, title) in zip(
        axes,
        (
            ("poverty", tr(language, "Penduduk miskin", "Poor people")),
            ("extreme", tr(language, "Penduduk miskin ekstrem", "Extremely poor people")),
        ),
        strict=True,
    ):
        values = [float(by.loc[s, f"{line}_fgt0_{when}"]) for _, s, when, _ in bars]
        x = np.arange(len(bars))
        ax.bar(x, np.nan_to_num(values), color=[c for *_, c in bars], width=0.62)
        for xi, v in zip(x, values, strict=True):
            ax.annotate(
                "*" if np.isnan(v) else percent(v, language, 2),
                (xi, 0 if np.isnan(v) else v),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                fontsize=10,
            )
        ax.set_xticks(x, ["" for _ in bars])
        ax.set_title(f"{title} ({area_label})")
        top = np.nanmax([*values, 0.01])
        ax.set_ylim(0, top * 1.25)
        # Whole percent ticks repeat themselves ("2%, 2%, 2%") below about five percent.
        _percent_axis(ax.yaxis, language, 0 if top >= 0.05 else 1 if top >= 0.005 else 2)
        ax.set_ylabel(tr(language, "% penduduk", "% of people"))
        ax.grid(axis="x", visible=False)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for *_, c in bars]
    fig.legend(handles, [b[0] for b in bars], loc="lower center", ncol=3, bbox_to_anchor=(0.5, 0.0))
    return fig


def _band_labels(settings: ReportSettings, language: str) -> list[str]:
    gk, ext = settings.poverty_line_idr, settings.extreme_poverty_line_idr
    return [
        tr(language, "Miskin ekstrem", "Extreme poor") + f"\n< {rupiah(ext, language)}",
        tr(language, "Miskin", "Poor") + f"\n{rupiah(ext, language)} –\n{rupiah(gk, language)}",
        tr(language, "Rentan miskin", "Vulnerable")
        + f"\n{rupiah(gk, language)} –\n{rupiah(1.5 * gk, language)}",
        tr(language, "Tidak miskin", "Not poor") + f"\n≥ {rupiah(1.5 * gk, language)}",
    ]


def plot_welfare_bands(bands: pd.DataFrame, settings: ReportSettings, language: str) -> Figure:
    """Recipients of PKH or BPNT vs the rest, by band of consumption per person.

    ``bands`` holds one area's rows of ``welfare_bands``. Bars built from fewer
    than 5 sample households are hidden and marked with an asterisk.
    """
    fig, ax = plt.subplots(figsize=(9.5, 5.6))
    fig.subplots_adjust(left=0.09, right=0.98, top=0.87, bottom=0.22)
    order = list(dict.fromkeys(bands["band"]))
    x = np.arange(len(order))
    width = 0.38
    groups = (
        ("recipient", -width / 2, tr(language, "Penerima PKH/BPNT", "PKH/BPNT recipients")),
        ("non_recipient", width / 2, tr(language, "Bukan penerima", "Non-recipients")),
    )
    for group, offset, name in groups:
        rows = bands[bands["group"] == group].set_index("band").reindex(order)
        n = int(rows["group_households"].iloc[0]) if len(rows) else 0
        shares = rows["share_households"].to_numpy(dtype=float)
        bars = ax.bar(
            x + offset,
            np.nan_to_num(shares),
            width,
            color=COLOURS[group],
            label=f"{name} ({number(n, language)} "
            + tr(language, "rumah tangga sampel)", "sample households)"),
        )
        for bar, share, hidden in zip(bars, shares, rows["is_suppressed"], strict=True):
            text = "*" if hidden else percent(share, language, 0)
            ax.annotate(
                text,
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                fontsize=10,
            )
    for boundary, line_name in (
        (0.5, tr(language, "Garis kemiskinan ekstrem", "Extreme poverty line")),
        (1.5, tr(language, "Garis kemiskinan", "Poverty line")),
    ):
        ax.axvline(boundary, color="#B22222", linestyle="--", linewidth=1.3)
        ax.annotate(
            line_name,
            (boundary, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(4, -4),
            textcoords="offset points",
            va="top",
            fontsize=9,
            color="#B22222",
        )
    ax.set_xticks(x, _band_labels(settings, language))
    ax.set_ylim(0, min(1.08, np.nanmax([*bands["share_households"], 0.3]) + 0.15))
    _percent_axis(ax.yaxis, language)
    ax.set_ylabel(tr(language, "% rumah tangga dalam kelompoknya", "% of the group's households"))
    ax.set_xlabel(label("consumption_pc_month_idr", language))
    ax.grid(axis="x", visible=False)
    fig.legend(loc="upper center", ncol=2, bbox_to_anchor=(0.5, 0.995))
    return fig


def plot_coverage(
    points: pd.DataFrame,
    errors: pd.DataFrame,
    poor_share: float,
    language: str,
    pmt_curve: pd.DataFrame | None = None,
) -> Figure:
    """Share of poor households reached against share of all households reached.

    ``points`` and ``errors`` hold one area's rows of ``coverage_points`` and
    ``targeting_errors``; ``poor_share`` is the area's share of poor households,
    which fixes the line of perfect targeting. ``pmt_curve`` (regency only) adds
    the chosen PMT's out-of-sample curve.
    """
    fig, ax = plt.subplots(figsize=(8, 6.2))
    fig.subplots_adjust(left=0.11, right=0.97, top=0.97, bottom=0.1)
    ax.plot(
        [0, 1],
        [0, 1],
        color=COLOURS["random"],
        linestyle=":",
        linewidth=1.5,
        label=tr(language, "Tanpa penargetan (acak)", "No targeting (random)"),
    )
    if poor_share > 0:
        ax.plot(
            [0, poor_share, 1],
            [0, 1, 1],
            color=COLOURS["perfect"],
            linewidth=2,
            label=tr(language, "Penargetan sempurna", "Perfect targeting"),
        )
    shown = points[~points["is_suppressed"]].sort_values("share_households")
    xs = np.r_[0, shown["share_households"].to_numpy()]
    ys = np.r_[0, shown["share_poor"].to_numpy()]
    ax.plot(
        xs,
        ys,
        color=COLOURS["actual"],
        marker="o",
        linewidth=2,
        label=tr(
            language, "Menurut jumlah program yang diterima", "By number of programmes received"
        ),
    )
    if pmt_curve is not None and len(pmt_curve):
        ax.plot(
            np.r_[0, pmt_curve["share_households"].to_numpy()],
            np.r_[0, pmt_curve["share_poor"].to_numpy()],
            color="#CC79A7",
            linewidth=2,
            linestyle="-.",
            label=tr(
                language,
                "Menurut skor PMT (di luar sampel)",
                "By PMT score (out of sample)",
            ),
        )
    for _, row in shown.iterrows():
        ax.annotate(
            f"≥ {int(row['min_programmes'])} "
            + tr(language, "program", "programme" if row["min_programmes"] == 1 else "programmes"),
            (row["share_households"], row["share_poor"]),
            xytext=(8, -12),
            textcoords="offset points",
            fontsize=9,
            color=COLOURS["actual"],
        )
    for programme, marker in (("pkh", "s"), ("bpnt", "D")):
        row = errors[errors["programme"] == programme]
        if len(row) and not np.isnan(row["coverage_poor"].iloc[0]):
            ax.scatter(
                row["coverage_households"],
                row["coverage_poor"],
                marker=marker,
                s=70,
                color=COLOURS[programme],
                zorder=4,
                label=programme_name(programme, language),
            )
    # Programmes cover a minority of households: show up to a little past the widest
    # point (at least the whole poor share), so the points are not squeezed in a corner.
    widest = max([poor_share, *shown["share_households"], *errors["coverage_households"]])
    ax.set_xlim(0, min(1.0, np.ceil((widest + 0.1) * 10) / 10))
    ax.set_ylim(0, 1.02)
    _percent_axis(ax.xaxis, language)
    _percent_axis(ax.yaxis, language)
    ax.set_xlabel(tr(language, "% semua rumah tangga yang menerima", "% of all households covered"))
    ax.set_ylabel(
        tr(language, "% rumah tangga miskin yang menerima", "% of poor households covered")
    )
    ax.legend(loc="lower right", facecolor="white", frameon=True, framealpha=0.9)
    return fig


def plot_poverty_by_kecamatan(summary: pd.DataFrame, language: str) -> Figure:
    """Poverty and extreme-poverty rate (persons) of every kecamatan, regency as a line.

    ``summary`` is the ``area_summary`` table; its last row is the regency.
    """
    kec = summary.iloc[:-1].sort_values("poverty_rate_persons")
    regency = summary.iloc[-1]
    fig, ax = plt.subplots(figsize=(9.5, 8))
    fig.subplots_adjust(left=0.18, right=0.97, top=0.95, bottom=0.08)
    y = np.arange(len(kec))
    ax.barh(
        y,
        kec["poverty_rate_persons"],
        color="#9ECAE1",
        label=tr(language, "Miskin (termasuk miskin ekstrem)", "Poor (extreme poor included)"),
    )
    ax.barh(
        y,
        kec["extreme_poverty_rate_persons"],
        color="#08519C",
        height=0.5,
        label=tr(language, "Miskin ekstrem", "Extreme poor"),
    )
    for yi, (_, row) in zip(y, kec.iterrows(), strict=True):
        ax.annotate(
            f"{percent(row['poverty_rate_persons'], language)}  "
            f"(n = {number(row['survey_households'], language)})",
            (row["poverty_rate_persons"], yi),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
            bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"},
            zorder=4,
        )
    ax.axvline(regency["poverty_rate_persons"], color=COLOURS["regency"], linestyle="--", zorder=3)
    ax.annotate(
        tr(language, "Kabupaten", "Regency")
        + f" {percent(regency['poverty_rate_persons'], language)}",
        (regency["poverty_rate_persons"], 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(0, 3),
        textcoords="offset points",
        ha="center",
        va="bottom",
        fontsize=9,
        annotation_clip=False,
    )
    ax.set_yticks(y, kec["area_name"])
    ax.set_xlim(0, max(0.05, float(kec["poverty_rate_persons"].max())) * 1.35)
    _percent_axis(ax.xaxis, language)
    ax.set_xlabel(tr(language, "% penduduk (survei, tertimbang)", "% of people (survey, weighted)"))
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right")
    return fig
