"""common.config: defaults -> YAML -> flags; unknown keys and wrong types are errors naming the key."""
import pytest
import yaml

from common import config

DEFAULTS = {"lr": 0.1, "batch_size": 64, "use_bn": True, "name": "run", "hidden": [128, 64], "tag": None}


def test_precedence_defaults_yaml_flags(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("lr: 0.01\nbatch_size: 32\n")
    cfg = config.parse(DEFAULTS, ["--config", str(path), "--batch-size", "8", "--no-use-bn"])
    assert (cfg.lr, cfg.batch_size, cfg.use_bn, cfg.name) == (0.01, 8, False, "run")
    assert config.parse(DEFAULTS, ["--batch_size", "16"]).batch_size == 16
    assert config.parse(DEFAULTS, ["--hidden", "3", "4"]).hidden == (3, 4)


def test_unknown_yaml_key_names_the_key(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("lr: 0.01\nlearning_rate: 0.5\n")
    with pytest.raises(config.ConfigError, match="learning_rate"):
        config.from_namespace(DEFAULTS, config.make_parser(DEFAULTS).parse_args(["--config", str(path)]))


def test_wrong_type_names_the_key_and_explains_yaml_floats(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("lr: 1e-1\n")  # YAML 1.1 reads this as a string
    with pytest.raises(config.ConfigError, match="'lr' expects a float.*0.001"):
        config.load_yaml(str(path), DEFAULTS)
    with pytest.raises(config.ConfigError, match="batch_size"):
        config.Config(DEFAULTS).replace(batch_size="many")


def test_cli_errors_exit_2(tmp_path, capsys):
    path = tmp_path / "c.yaml"
    path.write_text("nope: 1\n")
    with pytest.raises(SystemExit) as exit_info:
        config.parse(DEFAULTS, ["--config", str(path)])
    assert exit_info.value.code == 2
    assert "nope" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        config.parse(DEFAULTS, ["--lr", "fast"])


def test_immutable_and_saved(tmp_path):
    cfg = config.parse(DEFAULTS, [])
    with pytest.raises(AttributeError):
        cfg.lr = 3
    assert cfg.replace(lr=1).lr == 1.0 and cfg.lr == 0.1
    with pytest.raises(config.ConfigError, match="unknown config key 'xyz'"):
        cfg.replace(xyz=1)
    path = config.save(cfg, str(tmp_path))
    assert yaml.safe_load(open(path)) == cfg.to_dict() == config.load_run_config(str(tmp_path))
