"""Training history on disk: JSON (the Keras ``History`` dict), CSV (one row per epoch), a PNG plot.

Every file is written atomically. The plot needs matplotlib (the ``[plot]``
extra); without it the PNG is skipped with a note, the JSON and CSV are not.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Mapping, Sequence

from graphmask.atomic import atomic_path, write_atomic

History = Mapping[str, Sequence[float]]


def history_csv(history: History) -> str:
    keys = list(history)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["epoch", *keys])
    for epoch in range(max((len(v) for v in history.values()), default=0)):
        writer.writerow([epoch + 1, *(repr(float(history[k][epoch])) if epoch < len(history[k]) else "" for k in keys)])
    return out.getvalue()


def write_history(history: History, stem: Path, overwrite: bool, protect: Sequence[str | os.PathLike] = ()) -> list[Path]:
    """``stem.history.json``, ``.csv`` and (with matplotlib) ``.png``; returns the paths written."""
    plain = {k: [float(v) for v in values] for k, values in history.items()}
    json_path, csv_path, png_path = (stem.with_name(stem.name + f".history.{ext}") for ext in ("json", "csv", "png"))
    write_atomic(json_path, json.dumps(plain, indent=1) + "\n", overwrite, protect)
    write_atomic(csv_path, history_csv(plain), overwrite, protect)
    written = [json_path, csv_path]
    if plot_history(plain, png_path, overwrite, protect):
        written.append(png_path)
    return written


def plot_history(history: History, path: Path, overwrite: bool, protect: Sequence[str | os.PathLike] = ()) -> bool:
    """Loss and each metric per epoch (training and validation on one axis each); False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only, never a window
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    names = [k for k in history if not k.startswith("val_")]
    fig, axes = plt.subplots(len(names), 1, figsize=(6, 2.6 * max(len(names), 1)), squeeze=False)
    for ax, name in zip(axes[:, 0], names):
        epochs = range(1, len(history[name]) + 1)
        ax.plot(epochs, history[name], marker="o", label=name)
        if f"val_{name}" in history:
            ax.plot(range(1, len(history[f"val_{name}"]) + 1), history[f"val_{name}"], marker="o", label=f"val_{name}")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.legend()
    fig.tight_layout()
    with atomic_path(path, overwrite, protect) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return True
