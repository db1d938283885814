"""scikit-learn's own estimator checks, with the few that cannot apply named and explained."""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from konsel_analysis.pmt.classifiers import (
    BinaryPMT,
    BoostedClassPMT,
    ForestClassPMT,
    MultinomialPMT,
)
from konsel_analysis.pmt.estimators import (
    GradientBoostingPMT,
    LinearPMT,
    PovertyWeightedPMT,
    QuantilePMT,
    RandomForestPMT,
)
from konsel_analysis.pmt.features import ProxyFeatures

# The checks run each estimator without a poverty line (a plain regressor or
# classifier); P(poor) has its own tests. Small ensembles keep them fast.
ESTIMATORS = [
    ProxyFeatures(),
    LinearPMT(),
    LinearPMT(selection="lasso"),
    LinearPMT(selection="stepwise"),
    QuantilePMT(quantile=0.5),
    PovertyWeightedPMT(),
    GradientBoostingPMT(max_iter=30),
    RandomForestPMT(n_estimators=20, n_jobs=1),
    BinaryPMT(),
    BinaryPMT(link="probit"),
    MultinomialPMT(),
    BoostedClassPMT(max_iter=20),
    ForestClassPMT(n_estimators=20, n_jobs=1),
]

SAMPLE_WEIGHT_EQUIVALENCE = "check_sample_weight_equivalence_on_dense_data"


def expected_failures(estimator) -> dict[str, str]:
    """Checks that cannot pass, with the reason (scikit-learn marks the same for its forests)."""
    if isinstance(estimator, RandomForestPMT | ForestClassPMT):
        return {
            SAMPLE_WEIGHT_EQUIVALENCE: (
                "a forest draws bootstrap samples of rows: repeating a row changes the draws, "
                "a weight does not (scikit-learn's own RandomForest* expect this failure)"
            )
        }
    if isinstance(estimator, LinearPMT) and estimator.selection == "stepwise":
        return {
            SAMPLE_WEIGHT_EQUIVALENCE: (
                "the BIC penalises by the number of observations (rows), which repeating rows "
                "changes and integer weights do not, so the selected terms can differ"
            )
        }
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failures)
def test_sklearn_compatible(estimator, check):
    check(estimator)
