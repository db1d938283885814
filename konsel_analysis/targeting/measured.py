"""Moved to :mod:`konsel_analysis.measured.targeting` (the survey-measured errors sit
below the PMT, which is judged by them). Kept for old imports; import from the new
place (``explore.py`` still uses this name).
"""

from konsel_analysis.measured.targeting import *  # noqa: F403
