"""Why and where a network beats the line, and how much of it a readable model keeps.

Everything is measured out of fold on the folds ``compare`` ran, with the models it fitted
there: ``importance`` (permutation importance of both models with confidence intervals
over the folds), ``dependence`` (partial dependence with ICE curves, Friedman's H for
pairs), ``regions`` (where the paired loss difference lives, by a shallow tree fitted on
half the folds and tested on the other half), ``recover`` (terms proposed from each fold's
network and refitted by exact least squares inside the same folds), and ``run`` puts them
together as an ``Explanation``.
"""

from galton.explain.results import Explanation
from galton.explain.run import explain

__all__ = ["Explanation", "explain"]
