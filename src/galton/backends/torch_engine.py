"""The PyTorch engine: minibatch steps by hand over tensors, full-batch gradients by
autograd."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from galton.backends.base import Engine, Ops, objective, predictor
from galton.backends.common import ADAM_BETA1, ADAM_BETA2, ADAM_EPS
from galton.backends.numpy_engine import NumpyTrainer

NAME = "torch"
_DTYPES = {"float32": torch.float32, "float64": torch.float64}
OPS = Ops(
    activations={
        "relu": torch.relu,
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "silu": F.silu,
        "identity": lambda z: z,
    },
    matmul=torch.matmul,
    mean=torch.mean,
    total=torch.sum,
    square=torch.square,
    abs=torch.abs,
    where=torch.where,
    softplus=F.softplus,
    log=torch.log,
    tensor=lambda a, dtype: torch.as_tensor(a, dtype=_DTYPES[dtype]),
    to_numpy=lambda t: t.detach().cpu().numpy(),
)


class _Namespace:
    """``torch`` for ``galton.backends.by_hand``, with relu's backward as one kernel."""

    def __getattr__(self, name: str) -> Any:
        return getattr(torch, name)

    @staticmethod
    def relu_backward(delta: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return torch.ops.aten.threshold_backward(delta, z, 0)


class TorchTrainer(NumpyTrainer):
    """Minibatch steps by hand (``galton.backends.by_hand``) over PyTorch tensors, full-batch
    gradients (L-BFGS, CG) by autograd.

    On a batch of 64 rows autograd's graph and ``torch.optim``'s per-parameter bookkeeping
    cost several times the arithmetic (measured: 1.3 ms a step, against 0.25 ms for NumPy);
    the hand-written backward pass and one optimizer update over the flat parameter vector
    run the same arithmetic as NumPy's in a handful of tensor operations. Autograd stays
    where one large pass amortises it, and checks the hand-written gradients in the tests.
    """

    xp = _Namespace()

    def update(self, grad: torch.Tensor, lr: float) -> None:
        """Adam and AdamW as one fused kernel over the flat vector (PyTorch's own, the
        formulas of ``common.optimizer_update``); the decay, per entry, is applied first."""
        cfg = self.cfg
        if cfg.optimizer not in ("adam", "adamw"):
            super().update(grad, lr)
            return
        if cfg.optimizer == "adamw":
            self.flat.mul_(1 - lr * self.decay)
        else:
            grad = grad.addcmul_(self.decay, self.flat)
        self.t += 1
        steps = torch.full((), float(self.t))  # the step number, counted from 1
        torch._fused_adam_(
            [self.flat],
            [grad],
            [self.m],
            [self.v],
            [],
            [steps],
            lr=lr,
            beta1=ADAM_BETA1,
            beta2=ADAM_BETA2,
            weight_decay=0.0,
            eps=ADAM_EPS,
            amsgrad=False,
            maximize=False,
        )

    def bind(self, params: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> None:
        self.device = torch.device(self.cfg.device)
        super().bind(params, X, y)

    def dtype_of(self, name: str) -> torch.dtype:
        return _DTYPES[name]

    def array(self, values: Any) -> torch.Tensor:
        return torch.as_tensor(values, dtype=self.dtype, device=self.device)

    def as_numpy(self, values: Any) -> np.ndarray:
        return values.detach().cpu().numpy().copy()

    def row_index(self, batch: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.asarray(batch)).to(self.device)

    def loss_and_grad(self, params: list[np.ndarray]) -> tuple[float, list[np.ndarray]]:
        tensors = [self.array(np.array(p)).requires_grad_(True) for p in params]
        loss = objective(OPS, self.net, self.cfg, tensors, self.X, self.y)
        grads = torch.autograd.grad(loss, tensors)
        return float(loss.detach()), [g.cpu().numpy().astype(np.float64) for g in grads]


def has_cuda() -> bool:
    """Whether PyTorch sees a CUDA GPU (``device="auto"`` then uses it)."""
    return torch.cuda.is_available()


predict = predictor(OPS)
ENGINE = Engine(NAME, TorchTrainer, predict, has_cuda, gpu_capable=True)
