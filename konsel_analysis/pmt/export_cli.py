"""``konsel export-pmt``: a saved linear PMT for OpenSPP, OpenG2P and offices without software.

    konsel export-pmt --model MODEL_DIR [--out DIR] [--code PMT_KONSEL_2024]

reads the scorecard of a model saved by ``konsel validate-pmt --save`` (its hash
checked) and writes to DIR (default MODEL_DIR/export):

- ``openspp_scoring_model.json``: an OpenSPP spp_scoring model;
- ``openg2p_pmt_params.json``: OpenG2P g2p_proxy_means_test parameters and the
  derived registrant-info fields they read;
- ``kartu_skor_pmt.xlsx``: the scorecard with Bahasa Indonesia headers.

See :mod:`konsel_analysis.pmt.registry_export` and docs/registry_export.md.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from konsel_analysis.errors import UserError


def run_export(model_dir: Path, out: Path, code: str) -> list[Path]:
    """Write the three exports of the saved model in ``model_dir``; the paths written."""
    import pandas as pd

    from konsel_analysis.files import write_atomic, write_text_atomic
    from konsel_analysis.pmt import registry_export as rx
    from konsel_analysis.pmt.artifact import load_model

    saved = load_model(model_dir)
    path = model_dir / "scorecard.csv"
    if not path.is_file():
        raise UserError(
            f"{model_dir}: no scorecard.csv, so no linear PMT to export (a survey with "
            "welfare classes has none); save a model fitted on a welfare column"
        )
    table = pd.read_csv(path, keep_default_na=False, na_values=[""])
    table["level"] = table["level"].fillna("").astype(str)
    meta = saved.manifest
    lines = {"poverty_line": meta["poverty_line"], "extreme_line": meta["extreme_poverty_line"]}
    name = f"PMT {meta['training_data']} ({meta['saved_at'][:10]})"
    spp = rx.openspp_model(
        table, code=code, name=name, effective_date=meta["saved_at"][:10], **lines
    )
    g2p = rx.openg2p_params(table, **lines)

    def text(data: dict) -> str:
        return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"

    return [
        write_text_atomic(out / "openspp_scoring_model.json", text(spp)),
        write_text_atomic(out / "openg2p_pmt_params.json", text(g2p)),
        write_atomic(
            out / "kartu_skor_pmt.xlsx", lambda tmp: rx.write_scorecard_xlsx(table, tmp, **lines)
        ),
    ]


def _cmd_export(args: argparse.Namespace) -> int:
    model = Path(args.model)
    out = Path(args.out) if args.out else model / "export"
    for path in run_export(model, out, args.code):
        print(f"wrote {path}")
    return 0


def register_export(sub) -> None:
    """Add ``export-pmt`` to the ``konsel`` sub-commands."""
    parser = sub.add_parser(
        "export-pmt",
        help="a saved linear PMT as an OpenSPP scoring model, OpenG2P PMT parameters and XLSX",
    )
    parser.add_argument("--model", required=True, help="folder written by validate-pmt --save")
    parser.add_argument("--out", default=None, help="output folder (default MODEL_DIR/export)")
    parser.add_argument("--code", default="PMT_KONSEL", help="the OpenSPP model code")
    parser.set_defaults(handler=_cmd_export)
