"""experiments.py on a tiny setting: tables, plots, and repeated settings trained once."""
import os

from tf1_mnist import experiments


def test_studies_write_tables_and_reuse_identical_runs(tmp_path):
    out = str(tmp_path / "exp")
    results, summary, _ = experiments.run(experiments.config.Config(experiments.DEFAULTS).replace(
        epochs=1, search=False, learning_rates=[0.1], regs=[0.001], data_source="embedded", out_dir=out))
    # default two-layer = lr 0.1 study point = reg 0.001 study point: one run dir, not three
    assert summary["default"] == summary["lr_study"][0] == summary["reg_study"][0] == [experiments._run_name(
        experiments._course_config("config_twolayer.yaml", experiments.config.Config(experiments.DEFAULTS), epochs=1))]
    assert len(results) == 2 and len([d for d in os.listdir(out) if os.path.isdir(os.path.join(out, d))]) == 2
    text = open(os.path.join(out, "results.md")).read()
    assert "| SoftmaxRegression |" in text and "## Learning rate" in text and "## Regularization" in text
    for name in ("defaults.png", "study_lr.png", "study_reg.png", "results.json"):
        assert os.path.exists(os.path.join(out, name))


def test_every_figure_shows_training_and_validation_loss_and_accuracy_over_the_seeds(tmp_path, monkeypatch):
    """Each setting's curve is the mean over its seeds, with their range shaded (not seed 0 alone)."""
    figures = []
    monkeypatch.setattr(experiments.plots, "_save", lambda fig, path: figures.append(fig) or path)

    def run(seed, shift):
        rows = [{"step": e, "train_loss": 2.0 / e + shift, "val_loss": 2.2 / e + shift,
                 "train_accuracy": 0.5 + 0.04 * e + shift, "val_accuracy": 0.45 + 0.04 * e + shift}
                for e in (1, 2, 3)]
        return {"config": {"seed": seed}, "history": rows}
    results = {"a": run(0, 0.0), "a_s1": run(1, 0.02), "b": run(0, 0.1), "b_s1": run(1, 0.12)}
    experiments.save_figure(str(tmp_path / "f.png"), results, [["a", "a_s1"], ["b", "b_s1"]], ["A", "B"], "t")
    axes = [ax for ax in figures[0].axes if ax.lines]
    assert [ax.get_title() for ax in axes] == ["training loss", "validation loss", "training accuracy",
                                               "validation accuracy"]
    val_acc = axes[3]
    means = [[round(y, 6) for y in line.get_ydata()] for line in val_acc.lines]
    assert means == [[0.50, 0.54, 0.58], [0.60, 0.64, 0.68]]  # the means of the two seeds
    assert len(val_acc.collections) == 2  # one shaded seed range per setting
    assert "mean of 2 seeds" in figures[0]._suptitle.get_text()
