"""Figures shared by the tasks: image grids and learning curves (matplotlib, Agg, atomic PNG writes)."""
import math

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # pylint: disable=wrong-import-position
import numpy as np  # pylint: disable=wrong-import-position
from matplotlib import ticker  # pylint: disable=wrong-import-position

from common import files  # pylint: disable=wrong-import-position


def save_figure(fig, path, dpi=100, bbox_inches=None):
    """Writes a matplotlib figure as PNG atomically and closes it; returns the path."""
    with files.atomic_write(path, "wb") as handle:
        fig.savefig(handle, format="png", dpi=dpi, bbox_inches=bbox_inches)
    plt.close(fig)
    return path


def _save(fig, path, dpi=100):
    return save_figure(fig, path, dpi=dpi, bbox_inches="tight")


def image_grid(images, nrow=None, value_range=(-1.0, 1.0), pad=1):
    """Tiles images into one array in [0, 1].

    Args:
      images: (N, H, W) or (N, H, W, 1) array.
      nrow: images per row (default: ceil(sqrt(N))).
      value_range: (lo, hi) of the input values, mapped to (0, 1) and clipped.
      pad: pixels between tiles.
    Returns:
      (rows*(H+pad)+pad, nrow*(W+pad)+pad) float array.
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3:
        raise ValueError("image_grid wants (N, H, W) or (N, H, W, 1), got shape %s" % (images.shape,))
    lo, hi = value_range
    images = np.clip((images - lo) / float(hi - lo), 0.0, 1.0)
    count, height, width = images.shape
    nrow = nrow or int(math.ceil(math.sqrt(count)))
    rows = int(math.ceil(count / float(nrow)))
    grid = np.ones((rows * (height + pad) + pad, nrow * (width + pad) + pad))
    for index in range(count):
        r, c = divmod(index, nrow)
        top, left = pad + r * (height + pad), pad + c * (width + pad)
        grid[top:top + height, left:left + width] = images[index]
    return grid


def save_image_grid(images, path, nrow=None, value_range=(-1.0, 1.0), title=None):
    """Saves `images` as one PNG grid (grey scale); returns the path."""
    grid = image_grid(images, nrow=nrow, value_range=value_range)
    scale = 0.04
    fig = plt.figure(figsize=(max(2.0, grid.shape[1] * scale), max(2.0, grid.shape[0] * scale) + (0.4 if title else 0)))
    ax = fig.add_axes([0, 0, 1, 1])
    ax.imshow(grid, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=9)
    return _save(fig, path)


def save_labelled_images(images, labels, path, ncol=8, value_range=(-1.0, 1.0), title=None):
    """Saves `images` as a PNG of panels, each titled with its entry of `labels`; returns the path.

    Args:
      images: (N, H, W) or (N, H, W, 1) array.
      labels: N short strings, one per panel (e.g. "true 7, pred 2").
      ncol: panels per row.
      value_range: (lo, hi) of the input values, mapped to black..white.
      title: figure title.
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or len(images) != len(labels) or not len(images):
        raise ValueError("save_labelled_images wants N >= 1 images (N, H, W) and N labels, got shape %s and %d "
                         "labels" % (images.shape, len(labels)))
    ncol = min(ncol, len(images))
    nrow = int(math.ceil(len(images) / float(ncol)))
    fig, axes = plt.subplots(nrow, ncol, figsize=(1.1 * ncol, 1.25 * nrow + (0.4 if title else 0)), squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index < len(images):
            ax.imshow(images[index], cmap="gray", vmin=value_range[0], vmax=value_range[1], interpolation="nearest")
            ax.set_title(labels[index], fontsize=7)
    height = fig.get_figheight()  # margins in inches, whatever the number of rows
    if title:
        fig.suptitle(title, fontsize=9, y=1.0 - 0.05 / height, va="top")
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=1.0 - (0.5 if title else 0.2) / height,
                        wspace=0.1, hspace=0.25)
    return _save(fig, path)


def log_ticks(ax):
    """Labelled ticks on a log y axis however few decades it spans (matplotlib alone can label a single tick):
    powers of ten beyond 3 decades, 1-2-5 per decade down to 1.5, 1-2-3-5 down to 0.8 decades, every integer
    multiple below that."""
    lo, hi = ax.get_ylim()
    decades = math.log10(hi / lo) if lo > 0 and hi > lo else 0.0
    subs = ((1.0,) if decades > 3 else (1.0, 2.0, 5.0) if decades > 1.5 else (1.0, 2.0, 3.0, 5.0) if decades > 0.8
            else tuple(float(k) for k in range(1, 10)))
    ax.yaxis.set_major_locator(ticker.LogLocator(base=10.0, subs=subs))
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _: "%g" % value))
    ax.yaxis.set_minor_locator(ticker.LogLocator(base=10.0, subs=tuple(float(k) for k in range(1, 10))))
    ax.yaxis.set_minor_formatter(ticker.NullFormatter())


def _plot_series(ax, curves, logy, styles=None):
    """One line per entry of `curves` (name -> (xs, ys)). `ys` may hold one row per repeat (e.g. per seed): the
    line is then their mean and a shaded band their range (min to max). `styles`: name -> matplotlib line
    keywords (colour, linestyle)."""
    for name, (xs, ys) in curves.items():
        xs, ys = list(xs), np.asarray(ys, dtype=np.float64)
        if ys.ndim not in (1, 2) or ys.shape[-1] != len(xs):
            raise ValueError("curve %r: %d x values but y values of shape %s" % (name, len(xs), ys.shape))
        rows = ys.reshape(-1, len(xs))
        line, = ax.plot(xs, rows.mean(axis=0), label=name, marker="." if len(xs) < 30 else None,
                        **(styles or {}).get(name, {}))
        if len(rows) > 1:
            ax.fill_between(xs, rows.min(axis=0), rows.max(axis=0), color=line.get_color(), alpha=0.18,
                            linewidth=0)
    if logy:
        ax.set_yscale("log")
    ax.grid(alpha=0.3)


def save_curves(path, curves, title="", xlabel="step", ylabel="", logy=False):
    """One axes with a line per entry of `curves` (name -> (xs, ys)); returns the path."""
    fig, ax = plt.subplots(figsize=(6, 4))
    _plot_series(ax, curves, logy)
    if logy:
        log_ticks(ax)
    if len(curves) > 1:
        ax.legend()
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return _save(fig, path)


def save_learning_curves(path, history, title="", xlabel="epoch", logy=(), ncols=None, panel_size=(5.0, 3.8),
                         sharey=False, shared_legend=False, styles=None):
    """One subplot per metric; each holds train/validation (or any) series.

    Args:
      path: PNG path.
      history: {"loss": {"train": (xs, ys), "val": (xs, ys)}, "accuracy": {...}, ...}; ys may be 2-D (one row
        per seed): drawn as the mean with its min-max range shaded.
      title: figure title.
      xlabel: x-axis label shared by the subplots.
      logy: metric names drawn on a log scale.
      ncols: subplots per row (default: all in one row).
      panel_size: (width, height) of one subplot in inches.
      sharey: passed to matplotlib ("row": the subplots of a row share their y range).
      shared_legend: one legend under the subplots instead of one in each.
      styles: series name -> matplotlib line keywords (colour, linestyle), the same in every subplot.
    """
    names = list(history)
    ncols = ncols or len(names)
    nrows = int(math.ceil(len(names) / float(ncols)))
    series = list(dict.fromkeys(label for name in names for label in history[name]))
    legend_rows = int(math.ceil(len(series) / 4.0)) if shared_legend and len(series) > 1 else 0
    legend_height = 0.25 * legend_rows + (0.15 if legend_rows else 0.0)
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_size[0] * ncols, panel_size[1] * nrows + legend_height),
                             squeeze=False, sharey=sharey)
    for index, ax in enumerate(axes.flat):
        if index >= len(names):
            ax.axis("off")
            continue
        name = names[index]
        _plot_series(ax, history[name], name in logy, styles)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(name)
        ax.set_title(name)
        if sharey:
            ax.yaxis.set_tick_params(labelleft=True)
        if len(history[name]) > 1 and not shared_legend:
            ax.legend()
    for index, name in enumerate(names):  # after every subplot is drawn: shared axes have their final range
        if name in logy:
            log_ticks(axes.flat[index])
    if title:
        fig.suptitle(title)
    if legend_rows:
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), frameon=False)
    fig.tight_layout(rect=(0, legend_height / fig.get_figheight(), 1, 1))
    return _save(fig, path)
