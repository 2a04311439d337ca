"""Exact least squares: design terms, solvers and the results object."""

from galton.exact.design import Term, build_design, polynomial_terms
from galton.exact.solver import LstsqSolution, solve_least_squares

__all__ = ["LstsqSolution", "Term", "build_design", "polynomial_terms", "solve_least_squares"]
