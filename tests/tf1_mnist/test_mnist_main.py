"""Layer 3 (smoke): main.py trains a few epochs through common.run, writes its outputs, resumes exactly."""
import glob
import os

from common import files
from tf1_mnist import main

ARGS = ["--data-source", "embedded", "--batch-size", "256", "--hidden-size", "16", "--learning-rate", "0.5",
        "--threads", "1"]


def _train(argv):
    return main.train(main.SCHEMA.parse(argv), log=lambda message: None)


def test_train_writes_outputs_and_resume_matches(tmp_path):
    fresh, split = str(tmp_path / "fresh"), str(tmp_path / "split")
    assert main.main(ARGS + ["--epochs", "3", "--run-dir", fresh]) == 0
    _train(ARGS + ["--epochs", "3", "--run-dir", split, "--session-epochs", "2"])  # stops after 2 epochs
    assert not os.path.exists(os.path.join(split, "metrics.json"))
    metrics = _train(ARGS + ["--epochs", "3", "--run-dir", split])  # resumes at epoch 2
    assert metrics["resumed_at_epoch"] == 2
    for name in ("metrics.json", "learning_curves.png", "config.yaml", "history.json", "checkpoints/checkpoint"):
        assert os.path.exists(os.path.join(fresh, name)), name
    assert glob.glob(os.path.join(fresh, "events.out.tfevents.*"))
    assert files.read_json(os.path.join(fresh, "history.json")) == files.read_json(os.path.join(split, "history.json"))
    first = files.read_json(os.path.join(fresh, "metrics.json"))
    assert first["test_accuracy"] == metrics["test_accuracy"]
    assert first["num_train"] == 6400 and first["num_val"] == 1600 and first["num_test"] == 2000


def test_course_configs_load_flat_or_in_the_course_sections(tmp_path):
    for name in ("config_softmax", "config_twolayer", "config_exp"):
        cfg = main.SCHEMA.parse(["--config", os.path.join("tf1_mnist", "configs", name + ".yaml")])
        assert (cfg.batch_size, cfg.learning_rate, cfg.reg, cfg.epochs, cfg.debug) == (64, 0.1, 0.001, 10, False)
    assert main.SCHEMA.parse(["--config", "tf1_mnist/configs/config_softmax.yaml"]).type == "SoftmaxRegression"
    flat = tmp_path / "flat.yaml"
    flat.write_text("type: SoftmaxRegression\nlearning_rate: 0.5\n")
    cfg = main.SCHEMA.parse(["--config", str(flat)])
    assert (cfg.type, cfg.learning_rate, cfg.hidden_size) == ("SoftmaxRegression", 0.5, 128)


def test_bad_config_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("Train:\n  learning_rate: fast\n")
    assert main.main(["--config", str(bad), "--run-dir", str(tmp_path / "r")]) == 2
    assert "learning_rate" in capsys.readouterr().err
    typo = tmp_path / "typo.yaml"
    typo.write_text("learnig_rate: 0.1\n")
    assert main.main(["--config", str(typo), "--run-dir", str(tmp_path / "r")]) == 2
    assert "learnig_rate" in capsys.readouterr().err
    assert main.main(["--type", "ThreeLayerNet", "--run-dir", str(tmp_path / "r")]) == 2
    assert main.main(["--reg", "-1", "--run-dir", str(tmp_path / "r")]) == 2
    assert main.main(["--data-source", "csv", "--data-dir", str(tmp_path), "--run-dir", str(tmp_path / "r")]) == 2
    assert "mnist_train.csv" in capsys.readouterr().err
    assert not os.path.exists(str(tmp_path / "r"))  # nothing written for bad input
