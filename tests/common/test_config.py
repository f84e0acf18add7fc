"""common.config: declared keys -> defaults, YAML, flags; one check for all three; errors name key, value, range."""
import math

import pytest
import yaml

from common import config

SCHEMA = config.Schema([
    config.lr(0.1),
    config.batch_size(64),
    config.Key("use_bn", True, "batch norm"),
    config.Key("name", "run", "a name"),
    config.Key("hidden", [128, 64], "widths", ge=1),
    config.Key("tag", None, "optional tag", type=str),
    config.Key("variant", "a", "which network", choices=("a", "b")),
    config.val_frac(0.2),
    config.threads(),
    config.run_dir(),
], checks=[lambda c: config.require(c.batch_size % 2 == 0, "batch_size must be even, got %d" % c.batch_size)])


def test_precedence_defaults_yaml_flags(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("lr: 0.01\nbatch_size: 32\n")
    cfg = SCHEMA.parse(["--config", str(path), "--batch-size", "8", "--no-use-bn"])
    assert (cfg.lr, cfg.batch_size, cfg.use_bn, cfg.name) == (0.01, 8, False, "run")
    assert SCHEMA.parse(["--hidden", "3", "4"]).hidden == (3, 4)
    assert SCHEMA.parse(["--use-bn"]).use_bn is True
    assert SCHEMA.parse([]).tag is None and SCHEMA.parse(["--tag", "x"]).tag == "x"


def test_one_spelling_per_flag_with_choices_defaults_and_ranges_in_help():
    text = SCHEMA.parser("demo").format_help()
    assert "--batch_size" not in text and "--batch-size" in text
    assert "{a,b}" in text
    assert "(default: 0.1; a finite number > 0 and <= 10.0)" in " ".join(text.split())
    assert "--use-bn, --no-use-bn" in text
    with pytest.raises(config.ConfigError, match="unrecognized arguments: --batch_size"):
        SCHEMA.parse(["--batch_size", "16"])


@pytest.mark.parametrize("argv, pattern", [
    (["--lr", "0"], r"'lr' must be a finite number > 0 and <= 10.0, got 0.0"),
    (["--lr", "-1"], r"'lr' must be a finite number > 0 and <= 10.0, got -1.0"),
    (["--lr", "nan"], r"'lr' must be a finite number > 0 and <= 10.0, got nan"),
    (["--lr", "inf"], r"'lr' must be a finite number > 0 and <= 10.0, got inf"),
    (["--lr", "fast"], r"argument --lr: invalid float value: 'fast'"),
    (["--batch-size", "0"], r"'batch_size' must be an integer >= 1, got 0"),
    (["--batch-size", "-5"], r"'batch_size' must be an integer >= 1, got -5"),
    (["--batch-size", "3"], r"batch_size must be even, got 3"),
    (["--val-frac", "1.5"], r"'val_frac' must be a finite number > 0.0 and < 1.0, got 1.5"),
    (["--val-frac", "0"], r"'val_frac' must be a finite number > 0.0 and < 1.0, got 0.0"),
    (["--threads", "-1"], r"'threads' must be an integer >= 0, got -1"),
    (["--variant", "c"], r"argument --variant: invalid choice: 'c'"),
    (["--hidden", "3", "0"], r"'hidden' must be a list of integers >= 1, got 0"),
    (["--nope"], r"unrecognized arguments: --nope"),
])
def test_bad_flags_are_config_errors_naming_key_value_and_range(argv, pattern):
    with pytest.raises(config.ConfigError, match=pattern):
        SCHEMA.parse(argv)


@pytest.mark.parametrize("text, pattern", [
    ("lr: .nan\n", r"c.yaml: config key 'lr' must be a finite number > 0 and <= 10.0, got nan"),
    ("lr: 0.1\nlr: 0.2\n", r"c.yaml, line 2: duplicate key 'lr' \(first given on line 1\)"),
    ("learning_rate: 0.5\n", r"c.yaml: unknown key 'learning_rate'"),
    ("batch_size: 8.0\n", r"'batch_size' must be an integer >= 1, got 8.0"),
    ("use_bn: yes please\n", r"'use_bn' must be true or false, got 'yes please'"),
    ("variant: c\n", r"'variant' must be one of a, b, got 'c'"),
    ("- 1\n- 2\n", r"must hold a mapping"),
    ("lr: [unclosed\n", r"c.yaml line 2 is not valid YAML"),
    ("batch_size: 3\n", r"batch_size must be even"),
])
def test_bad_yaml_names_file_key_and_reason(tmp_path, text, pattern):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(config.ConfigError, match=pattern):
        SCHEMA.parse(["--config", str(path)])


def test_yaml_edge_cases(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("lr: 1e-1\n")  # YAML 1.1 reads this as a string; the number is what was meant
    assert SCHEMA.parse(["--config", str(path)]).lr == 0.1
    path.write_bytes(b"\xef\xbb\xbfbatch_size: 16\n")  # a UTF-8 BOM is fine
    assert SCHEMA.parse(["--config", str(path)]).batch_size == 16
    path.write_bytes(b"\x00\xff\xfe binary")
    with pytest.raises(config.ConfigError, match="not UTF-8 text"):
        SCHEMA.parse(["--config", str(path)])
    path.write_text("")
    assert SCHEMA.parse(["--config", str(path)]).lr == 0.1
    with pytest.raises(config.ConfigError, match="config file .*: cannot read: No such file"):
        SCHEMA.parse(["--config", str(tmp_path / "missing.yaml")])


def test_sections_are_flattened_when_declared(tmp_path):
    schema = config.Schema([config.Key("reg", 0.001, "L2"), config.Key("type", "A", "model")],
                           sections=("Train", "Model"))
    path = tmp_path / "c.yaml"
    path.write_text("Train:\n  reg: 0.01\nModel:\n  type: B\n")
    assert dict(schema.parse(["--config", str(path)])) == {"reg": 0.01, "type": "B"}
    path.write_text("Train:\n  reg: 0.01\nModel:\n  reg: 0.1\n")
    with pytest.raises(config.ConfigError, match="'reg' given twice"):
        schema.parse(["--config", str(path)])


def test_defaults_outside_their_range_fail_at_declaration():
    with pytest.raises(config.ConfigError, match="'epochs' must be an integer >= 1, got 0"):
        config.Schema([config.epochs(0)])
    with pytest.raises(ValueError, match="declared twice"):
        config.Schema([config.seed(), config.seed()])
    with pytest.raises(ValueError, match="needs an explicit type"):
        config.Key("x", None, "no type")


def test_immutable_replace_checks_and_saved(tmp_path):
    cfg = SCHEMA.parse([])
    with pytest.raises(AttributeError):
        cfg.lr = 3
    assert cfg.replace(lr=1).lr == 1.0 and cfg.lr == 0.1
    with pytest.raises(config.ConfigError, match="unknown config key 'xyz'"):
        cfg.replace(xyz=1)
    with pytest.raises(config.ConfigError, match="'lr' must be"):
        cfg.replace(lr=float("nan"))
    path = config.save(cfg, str(tmp_path))
    assert yaml.safe_load(open(path)) == dict(cfg.to_dict()) == config.load_run_config(str(tmp_path))
    assert SCHEMA.load_saved(str(tmp_path)) == cfg


def test_differences_ignore_resume_safe_keys_and_int_float_spelling():
    cfg = SCHEMA.make(threads=1, run_dir="x")
    recorded = dict(cfg.to_dict(), threads=4, run_dir="elsewhere", lr=0.1)
    assert config.differences(recorded, cfg) == []
    recorded.update(lr=0.2, batch_size=32)
    assert config.differences(recorded, cfg) == [("batch_size", 32, 64), ("lr", 0.2, 0.1)]
    assert config.differences(dict(recorded, old_key=1), cfg)[-1] == ("old_key", 1, "<absent>")
    assert math.isclose(cfg.lr, 0.1)


@pytest.mark.parametrize("text, expected", [
    ("a: 1:30\n", {"a": "1:30"}),          # YAML 1.1 would read the sexagesimal 90
    ("a: 1e-3\n", {"a": 0.001}),           # a float, as YAML 1.2 reads it
    ("a: 0x1f\n", {"a": 31}),
    ("a: 1_000\n", {"a": "1_000"}),
    ("a: -7\n", {"a": -7}),
    ("b: &b {x: 1}\nc:\n  <<: *b\n", {"b": {"x": 1}, "c": {"<<": {"x": 1}}}),  # no merge: '<<' is a key
])
def test_yaml_numbers_are_read_the_yaml_1_2_way(tmp_path, text, expected):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    assert config.read_yaml(str(path)) == expected


BOMB = "".join("%s: &%s [%s]\n" % (chr(98 + i), chr(98 + i), ",".join(["*%s" % chr(97 + i)] * 10))
               for i in range(8))


@pytest.mark.parametrize("text, pattern", [
    ("x: !!merge 1\n", r"merge keys|not valid YAML"),
    ("a: &a [x, x, x, x, x, x, x, x, x, x]\n" + BOMB, r"expands to more than 100000 values"),
    ("lr: " + "[" * 100 + "]" * 100 + "\n", r"nested deeper than 32 levels"),
    ("lr: " + "x" * 5000 + "\n", r"'lr' must be .*\(5002 characters\)$"),
])
def test_yaml_merge_keys_aliases_nesting_and_long_values_are_bounded(tmp_path, text, pattern):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    with pytest.raises(config.ConfigError, match=pattern) as caught:
        SCHEMA.parse(["--config", str(path)])
    assert len(str(caught.value)) < 600


@pytest.mark.parametrize("value", ["1e3", "0o17", "1:30", "true", ".5", "\u00fcn\u00ef", "1_000"])
def test_saved_config_reads_back_value_for_value(tmp_path, value):
    cfg = SCHEMA.make(name=value)
    config.save(cfg, str(tmp_path))
    assert SCHEMA.load_saved(str(tmp_path))["name"] == value
