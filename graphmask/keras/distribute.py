"""``tf.distribute`` strategies by name: TensorFlow's own engine, nothing home-made.

``default`` is TensorFlow's no-op default strategy; ``mirrored`` replicates
the model on every visible GPU (or, with no GPU, on every logical CPU device,
which is how the tests split one CPU in two); ``multi-worker`` reads the
cluster from ``TF_CONFIG`` like any TensorFlow program.
"""

from __future__ import annotations

from typing import Any

STRATEGIES = ("default", "mirrored", "multi-worker")


def get_strategy(strategy: Any) -> Any:
    """A ``tf.distribute.Strategy`` from a name (or the object itself)."""
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
