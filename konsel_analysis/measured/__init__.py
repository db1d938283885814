"""Targeting errors measured on the survey, where welfare and receipt are both seen.

The design-based core that the models above are judged by: the PMT validation
(who the PMT itself misses, :mod:`konsel_analysis.pmt.fairness`), the survey-measured
errors step and the register scoring (:mod:`konsel_analysis.targeting`), the reports.
It knows survey designs, not models:

- :mod:`.targeting`: inclusion and exclusion errors, coverage, leakage, the targeting
  differential and the CGH ratio per area, as ratios of survey-weighted totals, with
  Rao-Wu cluster-bootstrap intervals (within strata) and small-area shrinkage;
- :mod:`.groups`: the same per group of households (female head, elderly member,
  disability, household size, ...) and the exclusion gap against the rest.
"""
