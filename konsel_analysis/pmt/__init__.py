"""The proxy-means test (PMT): predict welfare from proxies and judge it out of sample.

The package reads as the steps of the work:

- ``features``     the design matrix: numeric proxies, squares, categorical dummies;
- ``probability``  P(poor) from the out-of-sample residual distribution;
- ``estimators``   the PMT estimators, all scikit-learn compatible;
- ``metrics``      targeting errors, AUC, R², error curves, reliability (plain functions);
- ``validation``   K-fold cross-validation grouped by cluster, choosing the best estimator;
- ``scorecard``    the linear PMT as a plain table of weights for register systems;
- ``model_card``   the model card (JSON and Markdown) for the reports;
- ``cli``          ``konsel validate-pmt``.

Importing this package is cheap; the modules are imported where they are used.
"""

#: The slowest estimators: on the Konsel survey (2,940 households, 5 folds) they take about
#: 15 of the 19 CPU seconds of a validation (gradient boosting 6, quantile regression's
#: linear programmes 4, the random forest 4). ``konsel reports`` leaves them out by default
#: (:class:`konsel_analysis.build.steps.PipelineSettings`); ``konsel validate-pmt`` runs them.
SLOW_ESTIMATORS = ("quantile", "gradient_boosting", "random_forest")
