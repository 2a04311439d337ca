"""What a trained network is: ``NetworkResults``, and its file state.

Every fit path (in memory, streamed, on Dask, updated) ends in one ``NetworkResults``;
``NeuralRegressor`` keeps it as ``results_`` and its fitted attributes (``members_``,
``history_``, ``metrics_``, ...) read from it, so there is one source of truth, saved and
loaded in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from galton import backends as engine_registry
from galton.backends.base import Engine
from galton.calibration import Calibration, mixture
from galton.data.standardise import Scaling
from galton.spec import NetworkSpec, TrainConfig
from galton.training.monitor import TrainResult
from galton.training.replay import Reservoir


def point_predictions(
    engine: Engine,
    net: NetworkSpec,
    params: list[np.ndarray],
    Xs: np.ndarray,
    dtype: str,
    scaling: Scaling,
) -> np.ndarray:
    """Predictions (n,) in the target's units of one network ``params`` on standardised
    inputs ``Xs`` (n, d) (the mean output of a Gaussian-loss network)."""
    out = engine.predict(net, params, Xs, dtype)
    return scaling.to_target_units(out if out.ndim == 1 else out[:, 0])


@dataclass
class NetworkResults:
    """A trained network (or ensemble), its standardisation and how training went.

    Attributes
    ----------
    backend : str
        The engine that trained it (and predicts with it).
    net : NetworkSpec
    train_config : TrainConfig
        Every ``auto`` resolved.
    scaling : Scaling
        The standardised units the members work in.
    members : list of list of ndarray
        Parameters ``[W1, b1, ...]`` of each member.
    history : dict
        Member 0's losses per epoch (entry 0: the random start), learning rates, passes
        and ``events``.
    member_histories : list of list of float
        Every member's training loss per epoch.
    """

    backend: str
    net: NetworkSpec
    train_config: TrainConfig
    scaling: Scaling
    members: list[list[np.ndarray]]
    history: dict[str, Any]
    member_histories: list[list[float]]
    n_epochs: int
    best_epoch: int
    stopped_early: bool
    converged: bool
    weight_decay_search: dict[float, float] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    calibration: Calibration | None = None
    replay: Reservoir | None = None
    updates: list[dict[str, Any]] = field(default_factory=list)
    n_samples: int = 0
    fit_seconds: float = 0.0

    @classmethod
    def of_training(
        cls,
        trained: list[TrainResult],
        backend: str,
        net: NetworkSpec,
        cfg: TrainConfig,
        scaling: Scaling,
    ) -> NetworkResults:
        """The members' training (histories: member 0's), before metrics and calibration."""
        first = trained[0]
        return cls(
            backend=backend,
            net=net,
            train_config=cfg,
            scaling=scaling,
            members=[result.params for result in trained],
            history={**first.history, "events": first.events},
            member_histories=[list(result.history["train_loss"]) for result in trained],
            n_epochs=first.n_epochs,
            best_epoch=first.best_epoch,
            stopped_early=first.stopped_early,
            converged=first.converged,
        )

    def predict_network(self, Xs: np.ndarray, params: list[np.ndarray]) -> np.ndarray:
        """Point predictions (n,) in the target's units of one network ``params`` on
        standardised inputs ``Xs`` (n, d)."""
        engine = engine_registry.get_backend(self.backend)
        return point_predictions(
            engine, self.net, params, Xs, self.train_config.dtype, self.scaling
        )

    def distribution(self, Xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean (n,) and uncalibrated spread (n,) over the members, in the target's units,
        for standardised inputs ``Xs`` (n, d)."""
        engine = engine_registry.get_backend(self.backend)
        dtype = self.train_config.dtype
        outputs = [engine.predict(self.net, params, Xs, dtype) for params in self.members]
        mean, spread = mixture(outputs)
        return self.scaling.to_target_units(mean), spread * self.scaling.y_scale

    def to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """File metadata (JSON) and arrays; the inverse of ``from_state``."""
        assert self.calibration is not None and self.replay is not None
        meta = {
            "backend": self.backend,
            "network": {
                "n_inputs": self.net.n_inputs,
                "hidden": list(self.net.hidden),
                "activation": self.net.activation,
                "skip": self.net.has_skip,
            },
            "train_config": self.train_config.to_dict(),
            "history": self.history,
            "n_epochs": self.n_epochs,
            "best_epoch": self.best_epoch,
            "stopped_early": self.stopped_early,
            "converged": self.converged,
            "y_mean": self.scaling.y_mean,
            "y_scale": self.scaling.y_scale,
            "calibration_source": self.calibration.source,
            "calibration_params": self.calibration.params,
            "member_histories": self.member_histories,
            "weight_decay_search": [[k, v] for k, v in self.weight_decay_search.items()],
            "updates": self.updates,
            "replay_seen": self.replay.seen,
        }
        # member 0 keeps the single model's names, so one-network files read as before
        arrays = {
            (f"param_{i}" if m == 0 else f"member_{m}_param_{i}"): p
            for m, params in enumerate(self.members)
            for i, p in enumerate(params)
        }
        arrays.update(
            x_mean=self.scaling.x_mean,
            x_scale=self.scaling.x_scale,
            calibration_scores=self.calibration.scores,
        )
        if self.replay.capacity:
            arrays.update(replay_X=self.replay.X, replay_y=self.replay.y)
        return meta, arrays

    @classmethod
    def from_state(
        cls, meta: dict[str, Any], arrays: dict[str, np.ndarray], replay_rows: int
    ) -> NetworkResults:
        """A network from validated file contents (``galton.model_schema``)."""
        net_meta = meta["network"]
        cfg = TrainConfig(**meta["train_config"])
        net = NetworkSpec(
            net_meta["n_inputs"],
            tuple(net_meta["hidden"]),
            net_meta["activation"],
            n_outputs=2 if cfg.loss == "gaussian" else 1,
            skip=bool(net_meta.get("skip", False)),
        )
        scaling = Scaling(arrays["x_mean"], arrays["x_scale"], meta["y_mean"], meta["y_scale"])
        n_params = len(net.param_shapes())
        members = [[arrays[f"param_{i}"] for i in range(n_params)]]
        while f"member_{len(members)}_param_0" in arrays:
            m = len(members)
            members.append([arrays[f"member_{m}_param_{i}"] for i in range(n_params)])
        if "calibration_scores" in arrays:
            scores = arrays["calibration_scores"]
        else:  # files before ensembles: absolute residuals of a constant-spread network
            scores = arrays["calibration_residuals"] / scaling.y_scale
        history = meta["history"]
        return cls(
            backend=meta["backend"],
            net=net,
            train_config=cfg,
            scaling=scaling,
            members=members,
            history=history,
            member_histories=meta.get("member_histories", [history["train_loss"]]),
            n_epochs=meta["n_epochs"],
            best_epoch=meta["best_epoch"],
            stopped_early=meta["stopped_early"],
            converged=meta["converged"],
            weight_decay_search={k: v for k, v in meta.get("weight_decay_search", [])},
            metrics=meta["metrics"],
            calibration=Calibration(
                scores, meta["calibration_source"], meta.get("calibration_params", 0)
            ),
            replay=Reservoir(
                arrays.get("replay_X", np.empty((0, net_meta["n_inputs"]))),
                arrays.get("replay_y", np.empty(0)),
                meta.get("replay_seen", meta["n_samples"]),
                replay_rows,
            ),
            updates=meta.get("updates", []),  # absent before updates existed
            n_samples=meta["n_samples"],
            fit_seconds=meta["fit_seconds"],
        )
