"""The reports' words and number formats, in Bahasa Indonesia (default) and English.

Each phrase is written in both languages side by side with :func:`tr`, so a
translator sees the pair in context. Numbers follow each language's habit:
``11,8%`` and ``Rp 462.710`` in Indonesian, ``11.8%`` and ``Rp 462,710`` in English.

>>> percent(0.1183, "id"), percent(0.1183, "en")
('11,8%', '11.8%')
>>> rupiah(462710, "id")
'Rp 462.710'
"""

from __future__ import annotations

import math
from typing import Literal

Language = Literal["id", "en"]
LANGUAGES = ("id", "en")

#: Written in place of a number that is hidden (built from fewer than 5 households).
SUPPRESSED = "–"


def check_language(language: str) -> Language:
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r} is not supported: use 'id' or 'en'")
    return language  # type: ignore[return-value]


def tr(language: str, id_text: str, en_text: str) -> str:
    """The Indonesian or the English text."""
    return id_text if check_language(language) == "id" else en_text


def _swap_separators(text: str) -> str:
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def number(value: float, language: str, decimals: int = 0) -> str:
    """A number with the language's thousands and decimal separators.

    >>> number(83000, "id"), number(83000, "en"), number(2.5, "id", 1)
    ('83.000', '83,000', '2,5')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return SUPPRESSED
    text = f"{value:,.{decimals}f}"
    return _swap_separators(text) if language == "id" else text


def percent(share: float, language: str, decimals: int = 1) -> str:
    """A share in [0, 1] as a percentage; a dash when it is missing or suppressed."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return SUPPRESSED
    return f"{number(100 * share, language, decimals)}%"


def rupiah(amount: float, language: str) -> str:
    """An amount in Rp, without decimals."""
    return f"Rp {number(amount, language)}"


def points(difference: float, language: str) -> str:
    """A difference of two shares in percentage points."""
    return f"{number(100 * abs(difference), language, 1)} {tr(language, 'poin', 'points')}"


PROGRAMME_NAMES = {
    "pkh": ("PKH", "PKH"),
    "bpnt": ("BPNT", "BPNT"),
    "pkh_or_bpnt": ("PKH atau BPNT", "PKH or BPNT"),
    "pbi_jk": ("PBI-JK", "PBI-JK"),
    "blt_dd": ("BLT-DD", "BLT-DD"),
}


def programme_name(code: str, language: str) -> str:
    id_text, en_text = PROGRAMME_NAMES[code]
    return tr(language, id_text, en_text)


def sample_size_words(n: int, language: str, small: int) -> str:
    """How far a rate from ``n`` sample households can be trusted, in plain words."""
    if n == 0:
        return tr(language, "tidak ada rumah tangga sampel", "no sample households")
    if n < small:
        return tr(
            language,
            f"hanya {number(n, language)} rumah tangga sampel: sampel kecil, "
            "anggap angka ini petunjuk kasar saja",
            f"only {number(n, language)} sample households: a small sample, "
            "take this figure as a rough indication only",
        )
    return tr(
        language,
        f"{number(n, language)} rumah tangga sampel",
        f"{number(n, language)} sample households",
    )


def span(low: float, high: float, language: str, kind: str = "percent") -> str:
    """A range in words' shortest form: ``19–48%`` or ``74–214``; a dash when unknown.

    >>> span(0.185, 0.482, "id"), span(74.4, 213.9, "en", "count")
    ('18,5–48,2%', '74–214')
    """
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (low, high)):
        return SUPPRESSED
    if kind == "percent":
        return f"{number(100 * low, language, 1)}–{percent(high, language)}"
    return f"{number(low, language)}–{number(high, language)}"


def likely_between(low: float, high: float, language: str, kind: str = "percent") -> str:
    """Plain words for an interval: "kemungkinan besar antara 19% dan 48%".

    >>> likely_between(74.4, 213.9, "en", "count")
    'most likely between 74 and 214'
    """
    fmt = percent if kind == "percent" else number
    return tr(
        language,
        f"kemungkinan besar antara {fmt(low, language)} dan {fmt(high, language)}",
        f"most likely between {fmt(low, language)} and {fmt(high, language)}",
    )


ESTIMATOR_NAMES = {
    "wls": ("regresi linear tertimbang (WLS)", "weighted linear regression (WLS)"),
    "wls_stepwise": ("WLS, variabel dipilih bertahap", "WLS, stepwise selection"),
    "wls_lasso": ("WLS dengan lasso", "WLS with lasso"),
    "quantile": ("regresi kuantil", "quantile regression"),
    "poverty_weighted": ("WLS berbobot sekitar garis kemiskinan", "poverty-weighted WLS"),
    "logit": ("logit (peluang miskin)", "logit (probability of being poor)"),
    "probit": ("probit (peluang miskin)", "probit (probability of being poor)"),
    "multinomial_logit": ("logit multinomial", "multinomial logit"),
    "gradient_boosting": ("gradient boosting (pohon keputusan)", "gradient boosting (trees)"),
    "random_forest": ("random forest (pohon keputusan)", "random forest (trees)"),
}


def estimator_name(code: str, language: str) -> str:
    """The PMT estimator's name for a reader; its code when it has none."""
    id_text, en_text = ESTIMATOR_NAMES.get(code, (code, code))
    return tr(language, id_text, en_text)


#: Marks an area whose survey sample cannot tell its targeting quality (expected errors).
UNINFORMED_MARK = "†"


def is_uninformed(row) -> bool:
    """Whether a row of expected_errors_by_area is flagged ``is_uninformed`` (absent: no).

    >>> is_uninformed({"is_uninformed": "True"}), is_uninformed({})
    (True, False)
    """
    value = row.get("is_uninformed", False) if hasattr(row, "get") else False
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value) and value == value  # NaN is not a flag


def uninformed_interval_note(language: str) -> str:
    """Why a flagged area's range of expected errors is wide (reports' wording)."""
    return tr(
        language,
        f"{UNINFORMED_MARK} Survei hanya mengambil sedikit penerima (kurang dari 5) atau satu "
        "desa di sini, jadi tidak dapat menunjukkan seberapa tepat musyawarah desa memilih "
        "penerima di kecamatan ini. Rentangnya dilebarkan selebar perbedaan ketepatan antar "
        "kecamatan lain; angkanya lebih mirip rata-rata kabupaten daripada ukuran kecamatan ini.",
        f"{UNINFORMED_MARK} The survey sampled few beneficiaries (fewer than 5) or one village "
        "here, so it cannot show how well village meetings chose beneficiaries in this "
        "kecamatan. Its range is widened by how much targeting differs between the other "
        "kecamatan; the figure is closer to a regency average than a measurement of this "
        "kecamatan.",
    )
