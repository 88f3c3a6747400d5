"""Pictures of training: the loss curve and a classifier's decision boundary, as PNG files.

matplotlib is an optional extra (``pip install -e ".[demo]"`` in the checkout); it is imported
only when a plot is drawn. The figures are drawn on matplotlib's ``Figure`` object directly, not through
``pyplot``, so they need no display, never pop up a window, and leave pyplot's global state
(and a notebook's backend) alone.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional, Sequence

import numpy as np

from ..core.engine import Value, no_grad

# Two colours that stay distinct for colour-blind readers (blue / orange), then more classes.
CLASS_COLOURS = ["#2563eb", "#ea580c", "#16a34a", "#9333ea", "#db2777",
                 "#0891b2", "#ca8a04", "#4b5563", "#dc2626", "#65a30d"]
TRAIN_COLOUR, VALID_COLOUR = "#2563eb", "#ea580c"


def require_matplotlib():
    """matplotlib's Figure class, or an ImportError that says how to get it."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise ImportError("plots need matplotlib, an optional extra: pip install matplotlib "
                          "(or, in the checkout, pip install -e \".[demo]\")") from None
    return Figure


def _figure(width: float, height: float):
    """A matplotlib Figure with an Agg canvas, or an ImportError that says how to get it."""
    return require_matplotlib()(figsize=(width, height), dpi=110, layout="constrained")


def _style(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(True, color="#e5e7eb", linewidth=0.8)
    ax.set_axisbelow(True)


def _series(history: Any, name: str) -> Optional[list]:
    """history[name] for a mapping, else getattr; None (or empty) when it was not recorded."""
    values = history.get(name) if isinstance(history, dict) else getattr(history, name, None)
    return list(values) if values else None


def loss_curve(history: Any, path, *, title: str = "Training",
               validation_name: Optional[str] = None) -> Path:
    """Plot the loss per epoch (and the accuracy, when recorded) to a PNG file; return its path.

    ``history`` is what :func:`microgradnn.training.fit` returns (or a dict) with lists
    ``loss`` and optionally ``val_loss``, ``accuracy``, ``val_accuracy``, one entry per epoch.
    The training curves are labelled "train (running mean)": fit records the mean over each
    epoch's batches while the weights change. The held-out curves are labelled
    ``validation_name``, by default the history's own (``fit(..., validation_name="test")``).
    """
    return _save(loss_figure(history, title=title, validation_name=validation_name), path)


def loss_figure(history: Any, *, title: str = "Training", validation_name: Optional[str] = None):
    """The matplotlib Figure :func:`loss_curve` saves."""
    if validation_name is None:
        validation_name = getattr(history, "validation_name", None) or "validation"
    train_label = "train (running mean)"
    loss = _series(history, "loss")
    if loss is None:
        raise ValueError("loss_curve: the history has no recorded 'loss' values")
    accuracy = _series(history, "accuracy")
    fig = _figure(9.0 if accuracy else 5.5, 3.6)
    axes = fig.subplots(1, 2 if accuracy else 1, squeeze=False)[0]
    epochs = np.arange(1, len(loss) + 1)

    ax = axes[0]
    ax.plot(epochs, loss, color=TRAIN_COLOUR, linewidth=2, label=train_label)
    val_loss = _series(history, "val_loss")
    if val_loss:
        ax.plot(epochs[:len(val_loss)], val_loss, color=VALID_COLOUR, linewidth=2,
                label=validation_name)
    if min(loss) > 0 and max(loss) / min(loss) > 30:
        ax.set_yscale("log")   # a loss falling by orders of magnitude reads better on a log axis
    ax.set(xlabel="epoch", ylabel="loss", title=f"{title}: loss")
    _style(ax)
    ax.legend(frameon=False)

    if accuracy:
        ax = axes[1]
        ax.plot(epochs, np.asarray(accuracy) * 100, color=TRAIN_COLOUR, linewidth=2,
                label=train_label)
        val_accuracy = _series(history, "val_accuracy")
        if val_accuracy:
            ax.plot(epochs[:len(val_accuracy)], np.asarray(val_accuracy) * 100, color=VALID_COLOUR,
                    linewidth=2, label=validation_name)
        ax.set(xlabel="epoch", ylabel="accuracy (%)", title=f"{title}: accuracy")
        ax.set_ylim(top=100.5)
        _style(ax)
        ax.legend(frameon=False, loc="lower right")

    from matplotlib.ticker import MaxNLocator
    for ax in axes:
        ax.set_xlim(1, max(len(loss), 2))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))   # epochs are whole numbers
    return fig


def _save(fig, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    return path


def _class_scores(net: Any, points: np.ndarray) -> np.ndarray:
    """The network's output for each point, computed without recording a graph."""
    with no_grad():
        out = net(points)
    return np.asarray(out.data if isinstance(out, Value) else out, dtype=np.float64)


def decision_boundary(net: Any, x: Any, y: Any, path, *, title: str = "Decision boundary",
                      resolution: int = 300,
                      class_names: Optional[Sequence[str]] = None) -> Path:
    """Plot a 2-input classifier's regions with the data on top, to a PNG file; return its path.

    ``net(points)`` must map an (n, 2) array to (n, 1) probabilities of class 1 (the boundary
    is drawn at 0.5) or to (n, k) class scores (each point takes the class of its largest
    score). ``y`` holds the labels: (n,), (n, 1) of 0/1 values, or one-hot rows.
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"decision_boundary: needs 2-D inputs of shape (n, 2), got shape {x.shape}")
    labels = np.asarray(y)
    if labels.ndim == 2 and labels.shape[1] > 1:
        labels = labels.argmax(axis=1)           # one-hot rows
    labels = labels.reshape(-1).astype(int)
    if len(labels) != len(x):
        raise ValueError(f"decision_boundary: {len(x)} points but {len(labels)} labels")

    # The grid covers the data with a 10% margin on every side.
    lo, hi = x.min(axis=0), x.max(axis=0)
    pad = 0.1 * np.maximum(hi - lo, 1e-9)
    gx, gy = np.meshgrid(np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution),
                         np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution))
    scores = _class_scores(net, np.column_stack([gx.ravel(), gy.ravel()]))

    # Size the figure to the data's aspect ratio, so an equal-aspect plot leaves no white bands.
    ratio = (gy.max() - gy.min()) / (gx.max() - gx.min())
    fig = _figure(6.2, float(np.clip(4.4 * ratio + 1.3, 3.4, 6.5)))
    ax = fig.subplots()
    from matplotlib.colors import LinearSegmentedColormap, ListedColormap
    if scores.shape[1] == 1:
        p = scores[:, 0].reshape(gx.shape)
        cmap = LinearSegmentedColormap.from_list(
            "two", [CLASS_COLOURS[0], "#ffffff", CLASS_COLOURS[1]])
        filled = ax.contourf(gx, gy, p, levels=np.linspace(min(0.0, p.min()), max(1.0, p.max()), 11),
                             cmap=cmap, alpha=0.35)
        ax.contour(gx, gy, p, levels=[0.5], colors="#111827", linewidths=1.6)
        bar = fig.colorbar(filled, ax=ax, shrink=0.7, ticks=[0, 0.5, 1])
        bar.set_label("network output: P(class 1)")
        bar.outline.set_visible(False)
        n_classes = 2
    else:
        n_classes = scores.shape[1]
        region = scores.argmax(axis=1).reshape(gx.shape)
        cmap = ListedColormap(CLASS_COLOURS[:n_classes])
        ax.contourf(gx, gy, region, levels=np.arange(n_classes + 1) - 0.5, cmap=cmap, alpha=0.2)
        ax.contour(gx, gy, region, levels=np.arange(n_classes) + 0.5, colors="#111827",
                   linewidths=1.2)
    for k in range(max(n_classes, labels.max() + 1)):
        mine = labels == k
        if mine.any():
            name = class_names[k] if class_names else f"class {k}"
            ax.scatter(x[mine, 0], x[mine, 1], s=24, color=CLASS_COLOURS[k % len(CLASS_COLOURS)],
                       edgecolors="white", linewidths=0.8, label=name, zorder=3)
    ax.set_title(title, pad=22)
    ax.set(xlabel="$x_1$", ylabel="$x_2$")
    ax.set_aspect("equal", adjustable="box")
    # Above the plot, under the title: inside, it would hide data points.
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=min(n_classes, 5),
              frameon=False, fontsize=9, handletextpad=0.2, columnspacing=1.2)
    return _save(fig, path)
