"""A saved PMT: the chosen model as a versioned folder that is safe to load.

``konsel validate-pmt ... --save MODEL_DIR`` refits the chosen estimator on the
whole survey and writes:

- ``model.skops``: the fitted estimator in skops format (no pickle: loading
  rebuilds only the types listed as trusted, see :func:`trusted_types`);
- ``model_tables.json``: the estimator's DataFrame attributes (the linear
  model's coefficient table), which skops cannot write, as JSON;
- ``model_card.json``: the validation's model card;
- ``training_profile.json``: the training survey's proxy profiles
  (:mod:`.drift`) and the chosen model's out-of-sample errors at training;
- ``scorecard.csv``: the linear PMT's weights, when the survey has welfare;
- ``manifest.json``: the artifact format, the estimator, the poverty lines, the
  proxies, the software versions and the SHA-256 of every other file.

:func:`load_model` refuses (one sentence, :class:`~konsel_analysis.errors.UserError`)
a folder of another artifact format or of another version of this toolkit's
estimators, and any file whose hash differs from the one recorded at save.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import platform
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone

from konsel_analysis import __version__
from konsel_analysis.datasets import Dataset
from konsel_analysis.errors import UserError
from konsel_analysis.pmt.drift import proxy_profile
from konsel_analysis.pmt.estimators import LinearPMT

#: The layout of a saved-model folder; bump when files or manifest keys change.
ARTIFACT_FORMAT = "konsel-pmt/1"
#: The version of the estimator classes a saved model was built from: bump when a
#: change to konsel_analysis.pmt alters fitted attributes, so old files are refused
#: instead of loading into classes that no longer match.
MODEL_VERSION = 1
MODEL_FILE = "model.skops"
MANIFEST = "manifest.json"
PROFILE_FILE = "training_profile.json"
TABLES_FILE = "model_tables.json"
SOFTWARE = ("numpy", "pandas", "scikit-learn", "scipy", "statsmodels", "skops")


def software_versions() -> dict[str, str]:
    """Python, this toolkit and the libraries a fitted model depends on."""
    out = {"python": platform.python_version(), "konsel-analysis": __version__}
    for name in SOFTWARE:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fit_chosen_model(result, name: str | None = None):
    """The validation's chosen estimator (or ``name``) refitted on the whole survey."""
    from konsel_analysis.pmt.validation import default_estimators

    dataset: Dataset = result.dataset
    name = name or result.best
    estimator = clone(default_estimators(dataset, result.seed)[name])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return estimator.fit(
            dataset.X, dataset.y, sample_weight=dataset.weight, groups=dataset.cluster
        )


def _json(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def detach_tables(model) -> tuple[object, dict[str, str]]:
    """A shallow copy of ``model`` without its DataFrame attributes (skops cannot write
    pandas objects), and those tables as JSON (pandas' ``table`` orient, 15 digits)."""
    tables = {
        name: value.to_json(orient="table", double_precision=15)
        for name, value in vars(model).items()
        if isinstance(value, pd.DataFrame)
    }
    bare = copy.copy(model)
    for name in tables:
        delattr(bare, name)
    return bare, tables


def attach_tables(model, tables: dict[str, str]):
    """Put back the tables :func:`detach_tables` took out."""
    for name, text in tables.items():
        setattr(model, name, pd.read_json(io.StringIO(text), orient="table"))
    return model


def poor_effective_n(dataset) -> float:
    """Kish's effective number of poor households, (sum w)^2 / sum w^2 over the poor:
    the sample size behind an exclusion error."""
    w = dataset.weight[dataset.is_poor]
    return float(w.sum() ** 2 / np.sum(w**2)) if len(w) else 0.0


def model_files(result, model) -> dict:
    """Writers of every file of the saved-model folder except the manifest, by name."""
    import skops.io as sio

    from konsel_analysis.pmt.model_card import build_model_card, to_jsonable
    from konsel_analysis.pmt.scorecard import scorecard_table

    dataset: Dataset = result.dataset
    profile = {
        "proxies": proxy_profile(dataset.X, dataset.weight, dataset.categorical, dataset.cluster),
        "training_errors": to_jsonable(result.results[result.best]),
        "n": int(dataset.n),
        "poverty_rate": dataset.poverty_rate,
        "poor_effective_n": poor_effective_n(dataset),
    }
    if isinstance(model, LinearPMT):  # the mean design row: reasons are contributions against it
        Z = model.features_.transform(dataset.X)
        profile["design_reference"] = np.average(Z, axis=0, weights=dataset.weight)
    card = to_jsonable(build_model_card(result))
    bare, tables = detach_tables(model)
    files = {
        MODEL_FILE: lambda p: sio.dump(bare, p),
        TABLES_FILE: lambda p: p.write_text(_json(tables), encoding="utf-8"),
        "model_card.json": lambda p: p.write_text(_json(card), encoding="utf-8"),
        PROFILE_FILE: lambda p: p.write_text(_json(to_jsonable(profile)), encoding="utf-8"),
    }
    linear = model if isinstance(model, LinearPMT) else result.linear_model
    if linear is not None:  # the linear PMT's weights, whichever model was chosen
        table = scorecard_table(linear)
        files["scorecard.csv"] = lambda p: table.to_csv(p, index=False, float_format="%.12g")
    return files


def manifest(result, model, hashes: dict[str, str]) -> dict:
    """What the saved model is, what it needs and the hash of each file."""
    ds: Dataset = result.dataset
    return {
        "format": ARTIFACT_FORMAT,
        "model_version": MODEL_VERSION,
        "estimator": result.best,
        "estimator_class": f"{type(model).__module__}.{type(model).__qualname__}",
        "mode": ds.mode,
        "proxies": list(ds.X.columns),
        "categorical": list(ds.categorical),
        "poverty_line": ds.poverty_line,
        "extreme_poverty_line": ds.extreme_poverty_line,
        "training_data": ds.data_path.name,
        "training_config": ds.config.path.name,
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "software": software_versions(),
        "sha256": hashes,
    }


def save_model(result, out: Path) -> list[Path]:
    """Refit the chosen estimator and write the saved-model folder ``out``; the paths.

    Every file is written under a temporary name and the folder's files renamed
    only when all are ready (the manifest last), so a failure leaves no
    half-written model.
    """
    from konsel_analysis.files import write_files_atomic

    model = fit_chosen_model(result)
    files = model_files(result, model)
    staging = out / ".staging"
    written = write_files_atomic(files, staging)
    hashes = {p.name: sha256(p) for p in written}
    text = _json(manifest(result, model, hashes))
    paths = write_files_atomic({MANIFEST: lambda p: p.write_text(text, encoding="utf-8")}, staging)
    out.mkdir(parents=True, exist_ok=True)
    final = []
    for path in [*written, *paths]:  # the manifest last: a folder without it is no model
        target = out / path.name
        path.replace(target)
        final.append(target)
    staging.rmdir()
    return final


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SavedModel:
    """A loaded saved PMT: the estimator, its manifest and its training profile."""

    model: object
    manifest: dict
    profile: dict
    folder: Path

    @property
    def proxies(self) -> list[str]:
        return list(self.manifest["proxies"])

    def check_columns(self, X_columns, data_path: Path | str) -> None:
        """Refuse a table without every proxy the model was trained on."""
        missing = [c for c in self.proxies if c not in set(X_columns)]
        if missing:
            raise UserError(
                f"{data_path}: column {missing[0]!r} that the saved model in {self.folder} "
                "uses is missing; give a table with the proxies the model was trained on"
            )

    def poverty_proba(self, X: pd.DataFrame) -> pd.DataFrame:
        """P(poor) (and P(extreme poor)) of each row from the saved model."""
        return self.model.predict_poverty_proba(X[self.proxies])

    def log_welfare(self, X: pd.DataFrame) -> np.ndarray | None:
        """Predicted log per-capita welfare (regressions only, else None)."""
        if not hasattr(self.model, "predict_log"):
            return None
        return self.model.predict_log(X[self.proxies])


def trusted_types() -> list[str]:
    """The only non-standard types skops may rebuild: this toolkit's estimators and
    the scikit-learn, SciPy and statsmodels pieces they hold."""
    return [
        "konsel_analysis.pmt.estimators.LinearPMT",
        "konsel_analysis.pmt.estimators.PovertyWeightedPMT",
        "konsel_analysis.pmt.estimators.QuantilePMT",
        "konsel_analysis.pmt.estimators.GradientBoostingPMT",
        "konsel_analysis.pmt.estimators.RandomForestPMT",
        "konsel_analysis.pmt.estimators.LinearFit",
        "konsel_analysis.pmt.classifiers.BinaryPMT",
        "konsel_analysis.pmt.classifiers.IndexFit",
        "konsel_analysis.pmt.classifiers.MultinomialPMT",
        "konsel_analysis.pmt.classifiers.BoostedClassPMT",
        "konsel_analysis.pmt.classifiers.ForestClassPMT",
        "konsel_analysis.pmt.features.ProxyFeatures",
        "konsel_analysis.pmt.probability.ResidualDistribution",
        # the fitted trees of the forests and of gradient boosting
        "sklearn.tree._tree.Tree",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    ]


def _read_manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not path.is_file():
        raise UserError(
            f"{folder}: no {MANIFEST}, so this is not a saved PMT; save one with "
            "konsel validate-pmt --data FILE --config C --save MODEL_DIR"
        )
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise UserError(
            f"{path}: not readable JSON ({err.msg if hasattr(err, 'msg') else err}); "
            "save the model again with konsel validate-pmt --save"
        ) from None


def _check_manifest(folder: Path, meta: dict) -> None:
    if meta.get("format") != ARTIFACT_FORMAT or meta.get("model_version") != MODEL_VERSION:
        raise UserError(
            f"{folder / MANIFEST}: a saved PMT of format {meta.get('format')!r}, model "
            f"version {meta.get('model_version')!r}, but this konsel reads "
            f"{ARTIFACT_FORMAT!r} version {MODEL_VERSION}; save the model again with "
            "this version's konsel validate-pmt --save"
        )
    for name, expected in meta.get("sha256", {}).items():
        path = folder / name
        if not path.is_file() or sha256(path) != expected:
            raise UserError(
                f"{path}: {'missing' if not path.is_file() else 'changed since it was saved'} "
                f"(its SHA-256 does not match {MANIFEST}); use the folder as konsel "
                "validate-pmt --save wrote it, or save the model again"
            )
    if MODEL_FILE not in meta.get("sha256", {}):
        raise UserError(f"{folder / MANIFEST}: no hash for {MODEL_FILE}; save the model again")


def _load_estimator(path: Path):
    import skops.io as sio

    untrusted = set(sio.get_untrusted_types(file=path))
    unexpected = sorted(untrusted - set(trusted_types()))
    if unexpected:
        raise UserError(
            f"{path}: holds type {unexpected[0]} that a saved PMT never holds; "
            "use a model saved by konsel validate-pmt --save"
        )
    return sio.load(path, trusted=sorted(untrusted))


def load_model(folder: Path | str) -> SavedModel:
    """Load and check a saved-model folder (see the module documentation)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"{folder}: no such folder; give the MODEL_DIR that --save wrote")
    meta = _read_manifest(folder)
    _check_manifest(folder, meta)
    model = _load_estimator(folder / MODEL_FILE)
    tables = json.loads((folder / TABLES_FILE).read_text(encoding="utf-8"))
    attach_tables(model, tables)
    profile = json.loads((folder / PROFILE_FILE).read_text(encoding="utf-8"))
    return SavedModel(model=model, manifest=meta, profile=profile, folder=folder)
