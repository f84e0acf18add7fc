"""Layer 3 (smoke): main.py trains a few epochs, writes checkpoint/events/metrics, resumes exactly."""
import glob
import os

import pytest

from common import files
from tf1_mnist import main

ARGS = ["--data_source", "embedded", "--batch_size", "256", "--hidden_size", "16", "--learning_rate", "0.5"]


def test_train_writes_outputs_and_resume_matches(tmp_path):
    fresh, split = str(tmp_path / "fresh"), str(tmp_path / "split")
    main.main(ARGS + ["--epochs", "3", "--run_dir", fresh])
    main.main(ARGS + ["--epochs", "2", "--run_dir", split])
    metrics = main.main(ARGS + ["--epochs", "3", "--run_dir", split])  # resumes at epoch 2
    assert metrics["resumed_at_epoch"] == 2
    for name in ("metrics.json", "learning_curves.png", "config.yaml", "history.json", "checkpoints/checkpoint"):
        assert os.path.exists(os.path.join(fresh, name)), name
    assert glob.glob(os.path.join(fresh, "events.out.tfevents.*"))
    assert files.read_json(os.path.join(fresh, "history.json")) == files.read_json(os.path.join(split, "history.json"))
    first = files.read_json(os.path.join(fresh, "metrics.json"))
    assert first["test_accuracy"] == metrics["test_accuracy"]
    assert first["num_train"] == 6400 and first["num_val"] == 1600 and first["num_test"] == 2000


def test_course_configs_load():
    for name in ("config_softmax", "config_twolayer", "config_exp"):
        cfg = main.config.from_namespace(main.DEFAULTS, main.config.make_parser(main.DEFAULTS).parse_args(
            ["--config", os.path.join("tf1_mnist", "configs", name + ".yaml")]))
        assert (cfg.batch_size, cfg.learning_rate, cfg.reg, cfg.epochs) == (64, 0.1, 0.001, 10)


def test_bad_config_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("learning_rate: fast\n")
    with pytest.raises(SystemExit) as info:
        main.main(["--config", str(bad), "--run_dir", str(tmp_path / "r")])
    assert info.value.code == 2 and "learning_rate" in capsys.readouterr().err
    typo = tmp_path / "typo.yaml"
    typo.write_text("learnig_rate: 0.1\n")
    with pytest.raises(SystemExit) as info:
        main.main(["--config", str(typo), "--run_dir", str(tmp_path / "r")])
    assert info.value.code == 2 and "learnig_rate" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main.main(["--type", "ThreeLayerNet", "--run_dir", str(tmp_path / "r")])
    assert info.value.code == 2
