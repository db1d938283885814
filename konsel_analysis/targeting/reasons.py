"""Reason codes a field worker can check at the door.

For the linear PMT index, each proxy's contribution to a household's predicted
log welfare is ``coef x (value - survey mean)``, summed over the proxy's terms
(a categorical's dummies, a number and its square). A beneficiary flagged as
probably not poor is listed with the proxies that push its predicted welfare
*up* most ("lemari es: ya; lantai keramik"), a non-beneficiary flagged as
probably poor with those that push it *down* most. The area effect is left out:
it is not something to check at the door.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from konsel_analysis.dictionary import COLUMNS, Language

N_REASONS = 3
_YES_NO = {"id": ("ya", "tidak"), "en": ("yes", "no")}


def proxy_contributions(
    Z: np.ndarray, coef: np.ndarray, reference: np.ndarray, feature_names, exclude=()
) -> tuple[np.ndarray, list[str]]:
    """Contributions per proxy (n x proxies) and the proxy names, from design-matrix terms.

    ``feature_names`` follow :class:`~konsel_analysis.pmt.features.ProxyFeatures`:
    ``size``, ``size^2``, ``floor=tile``, ``log1p(land)``; terms of one proxy are summed.
    """
    from konsel_analysis.pmt.features import proxy_of

    names = [str(n) for n in feature_names]
    proxies = [proxy_of(n) for n in names]
    keep = [p for p in dict.fromkeys(proxies) if p not in set(exclude)]
    index = {p: i for i, p in enumerate(keep)}
    membership = np.zeros((len(names), len(keep)))
    for j, proxy in enumerate(proxies):
        if proxy in index:
            membership[j, index[proxy]] = 1.0
    return ((Z - reference) * coef) @ membership, keep


def _describe(proxy: str, value, language: Language) -> str:
    col = COLUMNS.get(proxy)
    if col is None:
        return f"{proxy} = {value}"
    label = col.label_id if language == "id" else col.label_en
    if col.dtype == "category" and str(value) in col.categories:
        text = col.category_label(str(value), language)
        # "lantai tanah" says what it is; "tidak ada" (toilet) or "milik sendiri"
        # (toilet or dwelling?) needs the proxy's name in front.
        return text if _names_its_proxy(text, label) else f"{label}: {text}"
    if col.dtype == "bool":
        yes, no = _YES_NO[language]
        return f"{label}: {yes if _truthy(value) else no}"
    number = float(value)
    text = f"{number:,.0f}" if number == round(number) else f"{number:,.1f}"
    if language == "id":  # 1.234,5 in Indonesian
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    unit = {"m2": " m²", "ha": " ha", "years": " th" if language == "id" else " years"}.get(
        col.unit or "", ""
    )
    return f"{label}: {text}{unit}"


def _names_its_proxy(text: str, label: str) -> bool:
    """Whether a category's text already holds a word (3+ letters) of the proxy's label.

    >>> _names_its_proxy("lantai tanah", "Jenis lantai")
    True
    >>> _names_its_proxy("tidak ada", "Fasilitas BAB")
    False
    """
    words = set(re.findall(r"[a-z]{3,}", label.lower()))
    return any(w in words or w.rstrip("s") in words for w in re.findall(r"[a-z]+", text.lower()))


def _truthy(value) -> bool:
    return str(value).strip().lower() in {"1", "1.0", "true", "yes", "ya"}


def reason_texts(
    contributions: np.ndarray,
    proxies: list[str],
    X: pd.DataFrame,
    push_up: np.ndarray,
    language: Language = "id",
    n_reasons: int = N_REASONS,
) -> np.ndarray:
    """One text per household: its ``n_reasons`` strongest proxies in the asked direction.

    ``push_up[i]`` True lists what raises household i's predicted welfare most
    (for beneficiaries likely not poor); False what lowers it most. Only proxies
    that push the right way are listed. Each distinct (proxy, value) is described
    once: a register holds few of them, and the texts are written for every household.
    """
    n = len(push_up)
    signed = np.where(push_up[:, None], contributions, -contributions)
    k = min(n_reasons, signed.shape[1])
    top = np.argsort(-signed, axis=1, kind="stable")[:, :k]
    values = {p: X[p].to_numpy() for p in proxies if p in X.columns}
    described = np.array([p in values for p in proxies], dtype=bool)
    texts = np.full(n, "", dtype=object)
    for rank in range(k):
        j = top[:, rank]
        listed = (signed[np.arange(n), j] > 0) & described[j]
        part = np.full(n, "", dtype=object)
        for proxy_index in np.unique(j[listed]):
            rows = listed & (j == proxy_index)
            proxy = proxies[proxy_index]
            codes, distinct = pd.factorize(values[proxy][rows], use_na_sentinel=False)
            words = np.array([_describe(proxy, v, language) for v in distinct], dtype=object)
            part[rows] = words[codes]
        joined = listed & (texts != "")
        texts = np.where(joined, texts + "; " + part, np.where(listed, part, texts))
    return texts
