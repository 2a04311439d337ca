"""Exceptions raised for user errors: every one is a ``ValueError`` with a one-line message."""

from __future__ import annotations


class GaltonError(ValueError):
    """Base class of galton's user-facing errors (bad input, bad files, missing engines)."""


class DataError(GaltonError):
    """Bad input data: a missing file or column, a non-numeric target, missing values."""


class ModelFileError(GaltonError):
    """A model file that cannot be read: missing, truncated, corrupted or tampered with."""


class BackendUnavailableError(GaltonError):
    """The requested engine is unknown or its framework is not installed."""


class ParameterError(GaltonError):
    """An estimator parameter outside its allowed values."""


class NotFittedError(GaltonError, AttributeError):
    """A method or fitted attribute that needs a fitted model was used before ``fit``.

    Also an ``AttributeError``, as scikit-learn's own: ``hasattr(model, "coef_")`` is
    False on an unfitted model, whose fitted attributes are computed from ``results_``.
    """


class TrainingInterrupted(GaltonError):
    """Training was stopped by Ctrl-C or SIGTERM; a checkpoint was written to resume from."""

    def __init__(self, message: str, checkpoint: str, signal_number: int | None) -> None:
        super().__init__(message)
        self.checkpoint = checkpoint
        self.signal_number = signal_number


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message (its type's name when it has none): what
    a user sees when a parser or library fails in many-line ways."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
