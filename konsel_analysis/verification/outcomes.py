"""What a field visit can find: outcome codes and their Bahasa Indonesia labels.

Codes are what the data and the plain-CSV hand-over use; the labels are what the
field lists show and the teams write back (either is read).
"""

from __future__ import annotations

#: code -> label in the returned field lists (Bahasa Indonesia).
OUTCOME_LABELS = {
    "eligible": "Masih layak",
    "not_eligible": "Tidak layak (mampu)",
    "poor_not_receiving": "Miskin, belum menerima",
    "moved": "Pindah",
    "not_found": "Tidak ditemukan",
    "refused": "Menolak",
    "deceased": "Meninggal",
}
OUTCOME_CODES = tuple(OUTCOME_LABELS)
#: Outcomes that say whether the household is eligible: the visit measured it.
CONTACTED = ("eligible", "not_eligible", "poor_not_receiving")
#: Outcomes that measured nothing (non-contact): reweighted within strata.
NON_CONTACT = ("moved", "not_found", "refused", "deceased")


def outcome_code(text: str) -> str | None:
    """The code of an outcome written as a code or as its label (any case), else None.

    >>> outcome_code("Tidak layak (mampu)"), outcome_code(" MOVED "), outcome_code("?")
    ('not_eligible', 'moved', None)
    """
    value = str(text).strip().lower()
    for code, label in OUTCOME_LABELS.items():
        if value in (code, label.lower()):
            return code
    return None


def is_poor_outcome(code: str) -> bool:
    """True when the visit found the household eligible (poor), whatever its receipt."""
    return code in ("eligible", "poor_not_receiving")
