"""Correct significant digits on the NIST StRD linear regression datasets.

Prints, per dataset, the fewest correct digits over all certified parameter estimates for
galton (default solver and float64 QR alone) and for the libraries people use, measured
in the same run. Run: ``.venv/bin/python bench/nist_accuracy.py [NIST_DIR]``.
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import numpy as np

import galton
from galton.data.nist import read_nist
from galton.exact import build_design, polynomial_terms

HERE = Path(__file__).resolve().parent
DEFAULT_DIR = HERE.parent / "tests" / "data" / "nist_strd"  # origin: tests/data/README.md


def correct_digits(value: np.ndarray, certified: np.ndarray) -> float:
    """Fewest correct significant digits (absolute digits where certified is 0), capped at 15."""
    with np.errstate(divide="ignore", invalid="ignore"):
        err = np.where(certified == 0, np.abs(value), np.abs(value - certified) / np.abs(certified))
        out = np.where(np.isfinite(err), -np.log10(np.maximum(err, 1e-15)), 0.0)
    return float(np.clip(out, 0, 15).min())


def competitors(design: np.ndarray, y: np.ndarray, intercept: bool) -> dict[str, np.ndarray]:
    """Estimates from numpy, and statsmodels and scikit-learn when installed.

    ``design`` (n, p) holds the constant column first when ``intercept``; scikit-learn gets
    the other columns and fits its own intercept, as its users would.
    """
    found = {"numpy.linalg.lstsq": np.linalg.lstsq(design, y, rcond=None)[0]}
    try:
        import statsmodels.api as sm

        with warnings.catch_warnings():  # it warns (rightly) that Filip looks singular
            warnings.simplefilter("ignore")
            found["statsmodels OLS"] = sm.OLS(y, design).fit().params
    except ImportError:
        pass
    try:
        from sklearn.linear_model import LinearRegression as SkLinear

        if intercept:
            sk = SkLinear().fit(design[:, 1:], y)
            found["scikit-learn"] = np.r_[sk.intercept_, sk.coef_]
        else:
            found["scikit-learn"] = SkLinear(fit_intercept=False).fit(design, y).coef_
    except ImportError:
        pass
    return found


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DIR
    rows = []
    for path in sorted(folder.glob("*.dat")):
        p = read_nist(path)
        X = p.X.to_numpy()
        design = build_design(X, polynomial_terms(X.shape[1], p.degree, p.fit_intercept))
        scores = {
            "galton": correct_digits(
                galton.LinearRegression(fit_intercept=p.fit_intercept, degree=p.degree)
                .fit(p.X, p.y)
                .params_,
                p.params,
            ),
            "galton solver=qr": correct_digits(
                galton.LinearRegression(fit_intercept=p.fit_intercept, degree=p.degree, solver="qr")
                .fit(p.X, p.y)
                .params_,
                p.params,
            ),
        }
        for name, est in competitors(design, p.y, p.fit_intercept).items():
            scores[name] = correct_digits(np.asarray(est), p.params)
        rows.append((p.name, scores))
    names = list(rows[0][1])
    print("| dataset | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for dataset, scores in rows:
        print(f"| {dataset} | " + " | ".join(f"{scores[n]:.1f}" for n in names) + " |")
    print("\nfewest correct significant digits over the certified parameter estimates (max 15)")


if __name__ == "__main__":
    main()
