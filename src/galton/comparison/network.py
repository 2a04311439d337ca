"""The network ``compare`` puts up against least squares: ``NeuralRegressor``'s defaults
(a skip path beside the hidden layers, the weight decay chosen inside the training fold,
on its held-out rows or by cross-validation over it), stopped by validation so that a
verdict takes seconds."""

from __future__ import annotations

from galton.estimators import NeuralRegressor

#: L-BFGS iterations without a better validation loss before a fold's network stops. The
#: UCI training splits (inner validation) lost little against 1000 fixed iterations at 100
#: and more at 20; see ``docs/benchmarks.md``.
COMPARE_PATIENCE = 100


def compare_network(
    hidden: tuple[int, ...],
    backend: str,
    seed: int,
    categories: dict[str, list] | None,
    missing: str = "error",
    max_epochs: int | None = None,
) -> NeuralRegressor:
    """A fresh network with ``compare``'s settings (its regularisation is chosen inside
    every training fold, as ``fit`` chooses it)."""
    return NeuralRegressor(
        hidden=hidden,
        backend=backend,
        seed=seed,
        missing=missing,
        categories=categories,
        max_epochs=max_epochs,
        early_stopping=True,
        patience=COMPARE_PATIENCE,
        progress=False,
    )
