"""common.plots: log axes label several ticks whatever their span; labelled image panels carry their titles."""
import matplotlib.pyplot as plt
import numpy as np
import pytest

from common import plots


def _labelled_ticks(ax):
    """Texts of the y tick labels shown inside the axis range."""
    ax.figure.canvas.draw()
    lo, hi = ax.get_ylim()
    ticks = [(tick.get_loc(), tick.label1.get_text()) for tick in ax.yaxis.get_major_ticks()]
    return [text for loc, text in ticks if lo <= loc <= hi and text]


@pytest.mark.parametrize("lo, hi, at_least", [(0.35, 2.8, 4), (0.3, 0.9, 4), (0.02, 3.5, 5), (1e-4, 10.0, 4)])
def test_a_log_axis_labels_several_ticks(monkeypatch, lo, hi, at_least):
    """The molecules curves span 0.3-3 (one power of ten inside: matplotlib alone labels only `10^0`)."""
    figures = []
    monkeypatch.setattr(plots, "_save", lambda fig, path: figures.append(fig) or path)
    steps = np.arange(10)
    plots.save_curves("unused.png", {"val MAE": (steps, np.geomspace(hi, lo, 10))}, logy=True)
    ax = figures[0].axes[0]
    labels = _labelled_ticks(ax)
    plt.close(figures[0])
    assert ax.get_yscale() == "log"
    assert len(labels) >= at_least, labels
    assert all(float(text) > 0 for text in labels)  # plain numbers, no mathtext


def test_matplotlib_alone_labels_one_tick_on_such_an_axis():
    """Why log_ticks exists: the same data without it (guards that the test above can fail)."""
    fig, ax = plt.subplots()
    ax.plot(np.arange(10), np.geomspace(2.8, 0.35, 10))
    ax.set_yscale("log")
    assert len(_labelled_ticks(ax)) <= 2
    plt.close(fig)


def test_labelled_images_title_each_panel(tmp_path, monkeypatch):
    figures = []
    real_save = plots._save
    monkeypatch.setattr(plots, "_save", lambda fig, path: figures.append(fig) or real_save(fig, path))
    images = np.random.RandomState(0).rand(10, 28, 28, 1)
    labels = ["true %d, pred %d" % (i, (i + 1) % 10) for i in range(10)]
    path = plots.save_labelled_images(images, labels, str(tmp_path / "errors.png"), ncol=4, value_range=(0.0, 1.0),
                                      title="misclassified")
    with open(path, "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
    titles = [ax.get_title() for ax in figures[0].axes if ax.images]
    assert titles == labels and len(figures[0].axes) == 12  # 3 rows of 4, two empty panels
    with pytest.raises(ValueError):
        plots.save_labelled_images(images, labels[:3], str(tmp_path / "bad.png"))
