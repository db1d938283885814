"""Verification rounds: plan the visits, read what the field teams found, learn from it.

Plain functions, tables in and tables out, one module per step of a round:

- the visit plan (priority visits plus an audit share drawn at random with known
  inclusion probabilities) is made with the register scoring, in
  :mod:`konsel_analysis.targeting.visit_plan`: the targeting layer decides whom to
  visit, this package what the visits found;
- :mod:`.outcomes`: the outcome codes and their Bahasa Indonesia labels;
- :mod:`.simulate`: field outcomes drawn from the synthetic truth (demos and tests);
- :mod:`.results`: reading returned field lists or the plain CSV, with row checks;
- :mod:`.estimate`: design-based error totals per area and the calibration table;
- :mod:`.recalibrate`: the expected-error model updated with the verified outcomes;
- :mod:`.decisions`: per-desa proposals the office submits (restricted folder);
- :mod:`.cli`: ``konsel verification simulate|import``.
"""
