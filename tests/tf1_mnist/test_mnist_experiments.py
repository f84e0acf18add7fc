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
    for name in ("study_lr.png", "study_reg.png", "results.json"):
        assert os.path.exists(os.path.join(out, name))
