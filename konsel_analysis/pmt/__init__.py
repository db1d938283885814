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
