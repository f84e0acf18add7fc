"""Run configuration: defaults in code -> optional YAML file -> command-line flags.

The result is one immutable `Config`. Every key of the defaults becomes a flag (`--batch_size` and
`--batch-size` both work; booleans get `--key` / `--no-key`). Unknown YAML keys and values of the wrong
type are errors that name the key, so a typo never silently falls back to a default.
"""
import argparse
import collections
import os
import sys

import yaml

from common import files


class ConfigError(ValueError):
    """A configuration key is unknown or its value has the wrong type."""


def _type_name(value):
    return type(value).__name__


def _coerce(key, value, default):
    """Checks `value` against the type of `default`; returns the value in that type."""
    if default is None or value is None:
        return value
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        raise ConfigError("config key %r expects a bool, got %r (%s)" % (key, value, _type_name(value)))
    if isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError("config key %r expects an int, got %r (%s)" % (key, value, _type_name(value)))
    if isinstance(default, float):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        hint = " (write 0.001 rather than 1e-3: YAML 1.1 reads 1e-3 as a string)" if isinstance(value, str) else ""
        raise ConfigError("config key %r expects a float, got %r (%s)%s" % (key, value, _type_name(value), hint))
    if isinstance(default, str):
        if isinstance(value, str):
            return value
        raise ConfigError("config key %r expects a string, got %r (%s)" % (key, value, _type_name(value)))
    if isinstance(default, (list, tuple)):
        if isinstance(value, (list, tuple)):
            return tuple(value)
        raise ConfigError("config key %r expects a list, got %r (%s)" % (key, value, _type_name(value)))
    raise ConfigError("config key %r has an unsupported default type %s" % (key, _type_name(default)))


class Config(collections.abc.Mapping):
    """An immutable mapping with attribute access: `cfg.lr`, `cfg["lr"]`, `cfg.replace(lr=0.1)`."""

    def __init__(self, values):
        object.__setattr__(self, "_values", collections.OrderedDict(values))

    def __getattr__(self, key):
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError("no config key %r" % (key,))

    def __setattr__(self, key, value):
        raise AttributeError("Config is immutable; use cfg.replace(%s=...)" % key)

    def __getitem__(self, key):
        return self._values[key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self):
        return len(self._values)

    def __repr__(self):
        return "Config(%s)" % ", ".join("%s=%r" % kv for kv in self._values.items())

    def replace(self, **changes):
        """A copy with `changes` applied (type-checked against the current values)."""
        values = collections.OrderedDict(self._values)
        for key, value in changes.items():
            if key not in values:
                raise ConfigError("unknown config key %r (known: %s)" % (key, ", ".join(values)))
            values[key] = _coerce(key, value, values[key])
        return Config(values)

    def to_dict(self):
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self._values.items()}


def load_yaml(path, defaults):
    """Reads a YAML mapping and checks every key against `defaults`."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except OSError as err:
        raise ConfigError("cannot read config file %s: %s" % (path, err.strerror))
    except yaml.YAMLError as err:
        raise ConfigError("config file %s is not valid YAML: %s" % (path, err))
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError("config file %s must hold a mapping of key: value, got %s" % (path, _type_name(data)))
    out = {}
    for key, value in data.items():
        if key not in defaults:
            raise ConfigError("config file %s: unknown key %r (known: %s)" % (path, key, ", ".join(defaults)))
        out[key] = _coerce(key, value, defaults[key])
    return out


def _bool_flag(text):
    lowered = text.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError("expected true/false, got %r" % text)


def make_parser(defaults, description="", help=None):  # pylint: disable=redefined-builtin
    """An argparse parser with `--config FILE` and one flag per key of `defaults`.

    Flags default to `argparse.SUPPRESS`, so `from_namespace` can tell "given on the command line"
    from "not given" and apply the YAML file in between.
    """
    help = help or {}
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--config", metavar="FILE.yaml", default=None,
                        help="YAML file of overrides (unknown keys are errors)")
    for key, default in defaults.items():
        names = ["--" + key.replace("_", "-")]
        if "_" in key:
            names.append("--" + key)
        text = help.get(key, "") + " (default: %r)" % (default,)
        if isinstance(default, bool):
            group = parser.add_mutually_exclusive_group()
            group.add_argument(*names, dest=key, nargs="?", const=True, type=_bool_flag,
                               default=argparse.SUPPRESS, help=text)
            group.add_argument("--no-" + key.replace("_", "-"), dest=key, action="store_false",
                               default=argparse.SUPPRESS, help="disable --%s" % key.replace("_", "-"))
        elif isinstance(default, (list, tuple)):
            kind = type(default[0]) if default else str
            parser.add_argument(*names, dest=key, nargs="*", type=kind, default=argparse.SUPPRESS, help=text)
        else:
            kind = str if default is None else type(default)
            parser.add_argument(*names, dest=key, type=kind, default=argparse.SUPPRESS, help=text)
    return parser


def from_namespace(defaults, namespace):
    """Builds the Config: defaults, then the YAML file named by `--config`, then explicit flags."""
    values = collections.OrderedDict((k, _coerce(k, v, v)) for k, v in defaults.items())
    yaml_path = getattr(namespace, "config", None)
    if yaml_path:
        values.update(load_yaml(yaml_path, defaults))
    for key in defaults:
        if hasattr(namespace, key):
            values[key] = _coerce(key, getattr(namespace, key), defaults[key])
    return Config(values)


def parse(defaults, argv=None, description="", help=None):  # pylint: disable=redefined-builtin
    """Parses `argv` (default: sys.argv[1:]) into a Config; a bad config exits 2 with the reason."""
    parser = make_parser(defaults, description, help)
    namespace = parser.parse_args(argv)
    try:
        return from_namespace(defaults, namespace)
    except ConfigError as err:
        parser.exit(2, "%s: error: %s\n" % (parser.prog, err))


def save(cfg, run_dir):
    """Writes the resolved config as `run_dir/config.yaml` (atomically); returns the path."""
    path = os.path.join(run_dir, "config.yaml")
    with files.atomic_write(path) as handle:
        yaml.safe_dump(dict(cfg.to_dict()), handle, default_flow_style=False, sort_keys=False)
    return path


def load_run_config(run_dir):
    """The dict saved by `save` in `run_dir`."""
    path = os.path.join(run_dir, "config.yaml")
    if not os.path.exists(path):
        raise ConfigError("no config.yaml in run dir %s" % run_dir)
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def exit_on_error(func):
    """Decorator for `main()`: ConfigError -> message on stderr and exit code 2."""
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except ConfigError as err:
            sys.stderr.write("error: %s\n" % err)
            sys.exit(2)
    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper
