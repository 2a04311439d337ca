"""The TensorFlow engine: one ``tf.function``-compiled step around ``tf.GradientTape``.

Keras' ``Model.fit`` costs about 45 ms per epoch here, so galton writes the step itself.
TensorFlow's start-up logging and oneDNN's reordered arithmetic are turned off before the
import (unless the user set those variables), so results are quiet and reproducible.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from galton.backends.base import (  # noqa: E402
    BaseTrainer,
    Engine,
    Ops,
    data_loss,
    forward,
    objective,
    predictor,
)
from galton.backends.common import (  # noqa: E402
    decay_vector,
    flatten_params,
    optimizer_update,
    unflatten_params,
)
from galton.spec import TrainConfig  # noqa: E402

tf.get_logger().setLevel("ERROR")  # each trainer traces its own functions: no retracing notes

NAME = "tensorflow"
_DTYPES = {"float32": tf.float32, "float64": tf.float64}
OPS = Ops(
    activations={
        "relu": tf.nn.relu,
        "tanh": tf.tanh,
        "sigmoid": tf.sigmoid,
        "silu": tf.nn.silu,
        "identity": tf.identity,
    },
    matmul=tf.matmul,
    mean=tf.reduce_mean,
    total=tf.reduce_sum,
    square=tf.square,
    abs=tf.abs,
    where=tf.where,
    softplus=tf.nn.softplus,
    log=tf.math.log,
    tensor=lambda a, dtype: tf.constant(a, dtype=_DTYPES[dtype]),
    to_numpy=lambda t: t.numpy(),
)


def _loss(out: tf.Tensor, y: tf.Tensor, cfg: TrainConfig) -> tf.Tensor:
    return data_loss(OPS, out, y, cfg.loss, cfg.huber_delta)


class TensorflowTrainer(BaseTrainer):
    """Parameters and optimizer moments as ``tf.Variable``; compiled step and objective."""

    def bind(self, params: list[np.ndarray], X: np.ndarray, y: np.ndarray) -> None:
        net, cfg = self.net, self.cfg
        self.dtype = _DTYPES[cfg.dtype]
        self.X = tf.constant(np.asarray(X), dtype=self.dtype)
        self.y = tf.constant(np.asarray(y), dtype=self.dtype)
        # One flat variable for all parameters: the optimizer update is then a dozen ops on
        # one vector, not a dozen per layer (40% of a small step's time here).
        self.shapes = net.param_shapes()
        self.sizes = [int(np.prod(s)) for s in self.shapes]
        self.flat = tf.Variable(tf.zeros(sum(self.sizes), dtype=self.dtype))
        self.set_params(params)
        self.m = tf.Variable(tf.zeros_like(self.flat))
        self.v = tf.Variable(tf.zeros_like(self.flat))
        self.decay = tf.constant(decay_vector(self.shapes, cfg.weight_decay), dtype=self.dtype)
        self.t = tf.Variable(0.0, dtype=self.dtype)
        self._step = tf.function(
            self._step_impl,
            input_signature=[tf.TensorSpec([None], tf.int64), tf.TensorSpec([], self.dtype)],
        )
        self._objective = tf.function(self._objective_impl, reduce_retracing=True)
        self._epoch = tf.function(
            self._epoch_impl,
            input_signature=[
                tf.TensorSpec([None], tf.int64),
                tf.TensorSpec([], tf.int64),
                tf.TensorSpec([], self.dtype),
            ],
        )

    def _unpack(self, flat: tf.Tensor) -> list[tf.Tensor]:
        parts = tf.split(flat, self.sizes)
        return [tf.reshape(p, s) for p, s in zip(parts, self.shapes, strict=True)]

    def _step_impl(self, rows: tf.Tensor, lr: tf.Tensor) -> tf.Tensor:
        cfg = self.cfg
        Xb, yb = tf.gather(self.X, rows), tf.gather(self.y, rows)
        with tf.GradientTape() as tape:
            pred = forward(OPS, self._unpack(self.flat), Xb, self.net.activation)
            loss = _loss(pred, yb, cfg)
        grad = tape.gradient(loss, self.flat)
        self.t.assign_add(1.0)
        new_p, new_m, new_v = optimizer_update(
            cfg.optimizer,
            self.flat,
            grad,
            self.m,
            self.v,
            self.t,
            lr,
            cfg.momentum,
            self.decay,
            tf.sqrt,
        )
        self.flat.assign(new_p)
        self.m.assign(new_m)
        self.v.assign(new_v)
        return loss

    def _epoch_impl(self, order: tf.Tensor, batch_size: tf.Tensor, lr: tf.Tensor) -> tf.Tensor:
        # The whole epoch in one graph: launching a compiled step costs ~0.7 ms here.
        n = tf.shape(order, out_type=tf.int64)[0]
        total = tf.constant(0.0, dtype=self.dtype)
        for start in tf.range(0, n, batch_size):
            rows = order[start : tf.minimum(start + batch_size, n)]
            size = tf.cast(tf.shape(rows)[0], self.dtype)
            total += self._step_impl(rows, lr) * size
        return total / tf.cast(n, self.dtype)

    def _objective_impl(self, params: list[tf.Tensor]) -> tuple[tf.Tensor, list[tf.Tensor]]:
        with tf.GradientTape() as tape:
            tape.watch(params)
            loss = objective(OPS, self.net, self.cfg, params, self.X, self.y)
        return loss, tape.gradient(loss, params)

    def step(self, batch: np.ndarray, lr: float) -> float:
        loss = self._step(
            tf.constant(np.asarray(batch), dtype=tf.int64), tf.constant(lr, self.dtype)
        )
        return float(loss)

    def run_epoch(self, order: np.ndarray, batch_size: int, lr: float) -> float:
        loss = self._epoch(
            tf.constant(np.asarray(order), dtype=tf.int64),
            tf.constant(batch_size, dtype=tf.int64),
            tf.constant(lr, self.dtype),
        )
        return float(loss)

    def loss_and_grad(self, params: list[np.ndarray]) -> tuple[float, list[np.ndarray]]:
        tensors = [tf.constant(np.asarray(p), dtype=self.dtype) for p in params]
        loss, grads = self._objective(tensors)
        return float(loss), [g.numpy().astype(np.float64) for g in grads]

    def evaluate(self, X: np.ndarray, y: np.ndarray) -> float:
        params = self._unpack(self.flat)
        pred = forward(OPS, params, tf.constant(np.asarray(X), self.dtype), self.net.activation)
        return float(_loss(pred, tf.constant(np.asarray(y), self.dtype), self.cfg))

    def optimizer_state(self) -> dict[str, np.ndarray]:
        return {"m": self.m.numpy(), "v": self.v.numpy(), "t": self.t.numpy()}

    def load_optimizer_state(self, state: dict[str, np.ndarray]) -> None:
        self.m.assign(state["m"])
        self.v.assign(state["v"])
        self.t.assign(state["t"])

    def get_params(self) -> list[np.ndarray]:
        return unflatten_params(self.flat.numpy().astype(np.float64), self.shapes)

    def set_params(self, params: list[np.ndarray]) -> None:
        self.flat.assign(flatten_params(params).astype(self.dtype.as_numpy_dtype))


predict = predictor(OPS)
ENGINE = Engine(NAME, TensorflowTrainer, predict)
