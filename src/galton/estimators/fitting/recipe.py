"""How a network trains: every ``auto`` setting of ``NeuralRegressor`` resolved for the data.

Pure functions of the estimator's parameters and the number of rows; the fit paths call
them, so in-memory, streamed and Dask fits choose solvers, budgets and schedules alike.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from galton import backends as engine_registry
from galton.errors import ParameterError
from galton.spec import NetworkSpec, TrainConfig

#: Above this many training rows ``solver="auto"`` trains networks by minibatch Adam (the
#: large-data recipe) instead of full-batch L-BFGS.
LBFGS_MAX_ROWS = 5000
#: Adam steps in the large-data recipe, annealed by a cosine schedule.
ADAM_STEP_BUDGET = 15_000
#: ``weight_decay="auto"`` for networks trained by L-BFGS: the one of these whose network
#: predicts the held-out validation rows best (inner validation; the test rows never
#: choose). On the UCI training splits the best lay between 1e-4 (energy, yacht) and 1e-3
#: (concrete).
WEIGHT_DECAYS = (1e-4, 1e-3, 1e-2)
#: With a skip path the search reaches decays that switch the hidden layers off, leaving
#: the undecayed linear path: least squares when the data are a line.
SKIP_WEIGHT_DECAYS = (*WEIGHT_DECAYS, 1e-1, 1.0, 10.0)


def weight_decays(skip: bool) -> tuple[float, ...]:
    """The weight decays ``weight_decay="auto"`` chooses among for a network with hidden
    layers, with (``skip``) or without a skip path; the last is the strongest."""
    return SKIP_WEIGHT_DECAYS if skip else WEIGHT_DECAYS


#: L-BFGS trains a Gaussian-loss network in two stages: squared error for the mean with
#: the full budget, then the Gaussian loss for this fraction of it (1 / GAUSSIAN_STAGE).
GAUSSIAN_STAGE = 4
#: L-BFGS iterations by default (the weight decay regularises; on the validation rows of
#: the UCI training splits 1000 did as well as 2000 and 5000).
LBFGS_MAX_ITER = 1000


def loss_for(est: Any) -> str:
    """The loss: ``auto`` is ``gaussian`` for an ensemble, else ``mse``."""
    if est.loss == "auto":
        return "gaussian" if est.ensemble > 1 else "mse"
    return str(est.loss)


#: A skip path is only added with at least this many training rows per input: its weights
#: are never decayed, so with fewer it is a (nearly) unidentified least squares that fits
#: the noise (wide.csv, 80 training rows and 200 inputs: 87% worse than ridge with it).
SKIP_ROWS_PER_INPUT = 2


def network_for(
    est: Any, n_inputs: int, cfg: TrainConfig, train_rows: int | None = None
) -> NetworkSpec:
    """The architecture for ``n_inputs`` standardised inputs under ``cfg``'s loss; the
    skip path only where ``train_rows`` (None: many) identify it (``SKIP_ROWS_PER_INPUT``)."""
    hidden = tuple(int(h) for h in est.hidden)
    outputs = 2 if cfg.loss == "gaussian" else 1
    identified = train_rows is None or train_rows >= SKIP_ROWS_PER_INPUT * n_inputs
    return NetworkSpec(
        n_inputs, hidden, est.activation, outputs, skip=bool(est.skip) and identified
    )


def searches_weight_decay(est: Any, cfg: TrainConfig, n_val: int) -> bool:
    """Whether ``weight_decay="auto"`` picks a value on the validation rows here."""
    return (
        est.weight_decay == "auto"
        and cfg.optimizer == "lbfgs"
        and len(est.hidden) > 0
        and n_val > 0
    )


#: ``weight_decay="auto"`` chooses by cross-validation over this many folds of all rows
#: where the validation split would hold out fewer than ``CV_BELOW_VALIDATION_ROWS`` rows:
#: a handful of held-out rows cannot tell a bend from noise (50 rows, 4 held out: the
#: network's test RMSE 24% above the line's on a Gaussian line).
CV_FOLDS = 5
CV_BELOW_VALIDATION_ROWS = 20
#: Fewer rows than this leave folds too small to score a candidate on (under four rows).
CV_MIN_ROWS = 4 * CV_FOLDS


def validation_rows(n_rows: int, fraction: float) -> int:
    """How many of ``n_rows`` rows the split holds out at ``validation_fraction``."""
    return int(round(n_rows * fraction))


def cross_validates(est: Any, cfg: TrainConfig, n_rows: int) -> bool:
    """Whether ``weight_decay="auto"`` chooses by ``CV_FOLDS``-fold cross-validation over
    all ``n_rows`` rows (small data, one squared-error network) instead of on a split."""
    n_val = validation_rows(n_rows, est.validation_fraction)
    return (
        searches_weight_decay(est, cfg, 1)
        and est.ensemble == 1
        and cfg.loss == "mse"
        and n_rows >= CV_MIN_ROWS
        and n_val < CV_BELOW_VALIDATION_ROWS
    )


def _solver(est: Any, n_rows: int, stream: bool) -> tuple[str, bool]:
    """The solver, and whether the large-data recipe (Adam, cosine, a step budget) applies."""
    solver = est.solver
    if stream and solver in ("lbfgs", "cg"):
        raise ParameterError(
            f"a streamed fit trains by minibatches: solver must be auto, adam, adamw or "
            f"sgd, not {solver!r}"
        )
    if solver == "auto" and not est.hidden and loss_for(est) == "mse" and not stream:
        return "cg", False  # a quadratic loss: conjugate gradients finish in a few passes
    if solver == "auto":
        small = not stream and n_rows * (1 - est.validation_fraction) <= LBFGS_MAX_ROWS
        return ("lbfgs" if small else "adam"), not small
    return solver, False


def _epochs(est: Any, n_rows: int, solver: str, recipe: bool, batch: int) -> int:
    if est.max_epochs is not None:
        return int(est.max_epochs)
    if recipe:
        n_train = n_rows - validation_rows(n_rows, est.validation_fraction)
        steps = math.ceil(n_train / batch)
        return int(np.clip(round(ADAM_STEP_BUDGET / steps), 10, 200))
    return {"lbfgs": LBFGS_MAX_ITER, "cg": 200}.get(solver, 300)


def _weight_decay(est: Any, solver: str) -> float:
    """The given weight decay; for ``auto``, what applies when no rows are held out to
    search on: the strongest of the L-BFGS grid (too few rows to tell a network from the
    line get the line), 0 for the other solvers."""
    if est.weight_decay != "auto":
        return float(est.weight_decay)
    if solver == "lbfgs" and len(est.hidden) > 0:
        return weight_decays(bool(est.skip))[-1]
    return 0.0


def resolve_config(est: Any, n_rows: int, stream: bool = False) -> TrainConfig:
    """Every ``auto`` of ``est`` resolved for ``n_rows`` training rows (before the
    validation split); a ``stream`` trains by minibatches (the large-data recipe) with
    early stopping."""
    solver, recipe = _solver(est, n_rows, stream)
    early = est.early_stopping
    if early == "auto":
        # L-BFGS trains to convergence (the weight decay regularises) and the large-data
        # recipe's cosine budget ends at its best: early stopping is for the others, and
        # for streams, whose passes are dear
        early = stream or (len(est.hidden) > 0 and not recipe and solver != "lbfgs")
    batch = est.batch_size or (128 if recipe else 64)
    schedule = est.schedule if est.schedule != "auto" else "cosine" if recipe else "constant"
    lr = est.learning_rate or (3e-3 if recipe else 1e-2 if solver == "sgd" else 1e-3)
    return TrainConfig(
        loss=loss_for(est),
        optimizer=solver,
        learning_rate=float(lr),
        momentum=float(est.momentum),
        weight_decay=_weight_decay(est, solver),
        batch_size=int(batch),
        max_epochs=_epochs(est, n_rows, solver, recipe, int(batch)),
        schedule=schedule,
        early_stopping=bool(early),
        validation_fraction=float(est.validation_fraction),
        patience=int(est.patience),
        tol=float(est.tol),
        dtype=est.dtype,
        seed=int(est.seed),
        shuffle=est.shuffle,
        device=engine_registry.get_backend(str(est.backend)).device(est.device),
    )
