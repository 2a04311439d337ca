"""The one training loop every engine runs under."""

from galton.training.loop import TrainResult, train

__all__ = ["TrainResult", "train"]
