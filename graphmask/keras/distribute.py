"""``tf.distribute`` strategies by name: TensorFlow's own engine, nothing home-made.

``default`` is TensorFlow's no-op default strategy; ``mirrored`` replicates
the model on every visible GPU (or, with no GPU, on every logical CPU device,
which is how the tests split one CPU in two); ``multi-worker`` reads the
cluster from ``TF_CONFIG`` like any TensorFlow program.
"""

from __future__ import annotations

import json
import os
from typing import Any, Mapping

STRATEGIES = ("default", "mirrored", "multi-worker")

# Training under MultiWorkerMirroredStrategy does not work with this pair: every worker's
# `Model.fit` fails converting the per-replica batch ("Attempt to convert a value (PerReplica:
# ...) to a Tensor"), as keras-team/keras#20585 reports. tests/test_multi_worker.py runs two real
# workers on 127.0.0.1 and keeps that as an expected failure (strict: it fails once Keras fixes it).
MULTI_WORKER_TRAINING = ("training with --strategy multi-worker is not supported: Keras 3.15.1 with "
                         "TensorFlow 2.21 fails in Model.fit under MultiWorkerMirroredStrategy (converting "
                         "PerReplica values, keras-team/keras#20585); use --strategy mirrored for the devices "
                         "of one machine (inference with `run --strategy multi-worker` works)")


def check_environment(strategy: Any, environ: Mapping[str, str] = os.environ) -> None:
    """``ValueError`` when the environment the strategy reads is unusable (checked before TensorFlow loads).

    ``multi-worker`` reads the cluster from ``TF_CONFIG``; TensorFlow raises a
    bare JSONDecodeError on a malformed one.
    """
    if strategy != "multi-worker" or "TF_CONFIG" not in environ:
        return
    try:
        config = json.loads(environ["TF_CONFIG"])
    except ValueError as exc:
        raise ValueError(f"--strategy multi-worker: TF_CONFIG is not valid JSON ({exc}); it must be an object "
                         'like {"cluster": {"worker": ["host:port", ...]}, "task": {"type": "worker", "index": 0}}, '
                         "or unset for one local worker") from None
    if not isinstance(config, dict):
        raise ValueError(f"--strategy multi-worker: TF_CONFIG must be a JSON object with `cluster` and `task`, "
                         f"got {type(config).__name__}")


def get_strategy(strategy: Any) -> Any:
    """A ``tf.distribute.Strategy`` from a name (or the object itself)."""
    check_environment(strategy)
    import tensorflow as tf

    if strategy is None or strategy == "default":
        return tf.distribute.get_strategy()
    if isinstance(strategy, tf.distribute.Strategy):
        return strategy
    if strategy == "mirrored":
        if tf.config.list_logical_devices("GPU"):
            return tf.distribute.MirroredStrategy()
        cpus = [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices=cpus)
    if strategy == "multi-worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"unknown strategy {strategy!r}; use one of {', '.join(STRATEGIES)} or a tf.distribute.Strategy")


def describe(strategy: Any) -> str:
    """``MirroredStrategy on 2 devices (/cpu:0, /cpu:1)`` style summary."""
    devices = list(getattr(strategy.extended, "worker_devices", ()) or ())
    where = f" ({', '.join(devices)})" if devices else ""
    return f"{type(strategy).__name__} with {strategy.num_replicas_in_sync} replica(s){where}"
