"""Run configuration: declared keys -> defaults in code -> optional YAML file -> command-line flags.

A task declares its keys once, as a `Schema` of `Key`s (default, help, type, allowed values). From it come
the `--help` text (one spelling per flag, choices, defaults and ranges shown), the YAML reader and the checks.
Every value, whether a default, from YAML or from a flag, passes the same checks: the type of the default,
the choices, the numeric range, the range of the TensorFlow type it feeds (int32, finite float32; see
`common.keys`) and the schema's cross-key checks. YAML is read by `common.yaml_io` (YAML 1.2 numbers, no merge
keys, bounded aliases and nesting). A violation is a `ConfigError` naming the key, the value (cut to 200
characters) and what is allowed; entry points turn it into exit code 2.

    SCHEMA = config.Schema([
        config.Key("epochs", 10, "passes over the training images", ge=1),
        config.Key("lr", 0.0002, "Adam learning rate", gt=0),
        config.Key("variant", "dcgan_bn", "which network", choices=("linear", "dcgan_bn")),
    ])
    cfg = SCHEMA.parse(argv)            # a frozen Config: cfg.lr, cfg["lr"], cfg.replace(lr=0.1)

The shared vocabulary (the same flag for the same concept in every task) is the set of `Key` factories at
the end of this module; `common/README.md` lists it and `tests/test_cli_vocabulary.py` enforces it.
"""
import argparse
import collections
import os

from common import files
from common.keys import BANDS, FLOAT32_MAX, INT32_MAX, SEED_MAX, Key, builtin_type  # noqa: F401  (this module's API)
from common.yaml_io import ConfigError, dump_yaml, parse_yaml, read_yaml, short  # noqa: F401  (this module's API)


class Config(collections.abc.Mapping):
    """An immutable mapping with attribute access: `cfg.lr`, `cfg["lr"]`, `cfg.replace(lr=0.1)`."""

    def __init__(self, values, schema=None):
        object.__setattr__(self, "_values", collections.OrderedDict(values))
        object.__setattr__(self, "_schema", schema)

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

    @property
    def schema(self):
        return self._schema

    def replace(self, **changes):
        """A copy with `changes` applied and checked like any other value."""
        for key in changes:
            if key not in self._values:
                raise ConfigError("unknown config key %r (known: %s)" % (key, ", ".join(self._values)))
        values = collections.OrderedDict(self._values)
        values.update(changes)
        if self._schema is None:
            return Config(values)
        return self._schema.validate(values)

    def to_dict(self):
        return collections.OrderedDict((k, list(v) if isinstance(v, tuple) else v) for k, v in self._values.items())


class _Parser(argparse.ArgumentParser):
    """argparse that raises ConfigError instead of printing usage and exiting (--help still exits 0)."""

    def error(self, message):
        raise ConfigError("%s (see %s --help)" % (message, self.prog))


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Keeps the description's line breaks and shows every default."""


def arg_parser(description="", epilog=None, prog=None):
    """A plain argparse parser for helper CLIs: defaults shown in --help, errors raised as ConfigError."""
    return _Parser(prog=prog, description=description, epilog=epilog, formatter_class=_HelpFormatter)


class _BoolAction(argparse.Action):
    """`--key` sets True, `--no-key` sets False; listed once in --help as `--key, --no-key`."""

    def __init__(self, option_strings, dest, default=None, required=False, help=None):  # pylint: disable=redefined-builtin
        super(_BoolAction, self).__init__(option_strings, dest, nargs=0, default=default, required=required,
                                          help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, not option_string.startswith("--no-"))


class Schema(object):
    """The declared keys of one command, and the checks between them.

    Args:
      keys: Keys, in the order `--help` and `config.yaml` show them.
      checks: functions cfg -> None raising ConfigError for rules between keys (e.g. a batch that must split
        over the towers).
      sections: YAML files may group keys under these top-level section names (the CS7643 configs use
        `Train:` / `Model:`), flattened on reading.
    """

    def __init__(self, keys, checks=(), sections=()):
        self.keys = collections.OrderedDict()
        for key in keys:
            if key.name in self.keys:
                raise ValueError("key %r declared twice" % key.name)
            self.keys[key.name] = key
        self.checks = tuple(checks)
        self.sections = tuple(sections)
        for key in self.keys.values():  # a default outside its own range is a programming error: fail at import
            key.check(key.default)

    @property
    def defaults(self):
        return collections.OrderedDict((name, key.default) for name, key in self.keys.items())

    def __contains__(self, name):
        return name in self.keys

    def validate(self, values, where=""):
        """A Config from a full or partial mapping (missing keys take their defaults), every value checked."""
        out = self.defaults
        for name, value in values.items():
            if name not in self.keys:
                raise ConfigError("%sunknown config key %s (known: %s)" % (where, short(name), ", ".join(self.keys)))
            out[name] = self.keys[name].check(value, where)
        cfg = Config(out, self)
        for check in self.checks:
            check(cfg)
        return cfg

    def make(self, **values):
        """A Config of the defaults with `values` applied (for tests, demos and other modules)."""
        return self.validate(values)

    def load_yaml(self, path):
        """{key: value} from a YAML file, every key known and checked (the file's name in any error)."""
        data = read_yaml(path)
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise ConfigError("config file %s must hold a mapping of key: value, got %s" % (path, type(data).__name__))
        flat = collections.OrderedDict()
        for name, value in data.items():
            if name in self.sections and isinstance(value, dict):
                for inner, inner_value in value.items():
                    if inner in flat:
                        raise ConfigError("config file %s: key %s given twice (in two sections)" % (path, short(inner)))
                    flat[inner] = inner_value
            elif name in flat:
                raise ConfigError("config file %s: key %s given twice (in two sections)" % (path, short(name)))
            else:
                flat[name] = value
        where = "config file %s: " % path
        for name, value in flat.items():
            if name not in self.keys:
                raise ConfigError("%sunknown key %s (known: %s)" % (where, short(name), ", ".join(self.keys)))
            flat[name] = self.keys[name].check(value, where)
        return flat

    def parser(self, description="", epilog=None, prog=None):
        """An argparse parser: `--config FILE.yaml` and one flag per key, defaults shown, nothing set unless given."""
        parser = _Parser(
            prog=prog, description=description, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter)
        parser.add_argument("--config", metavar="FILE.yaml", default=None,
                            help="YAML file of key: value overrides, applied before the flags (unknown or "
                                 "duplicate keys are errors) (default: none)")
        for key in self.keys.values():
            text = "%s (default: %s%s)" % (key.help, _show_default(key.default),
                                           "; " + key.allowed() if key.bounds else "")
            if key.type is bool:
                parser.add_argument(key.flag, "--no-" + key.flag[2:], dest=key.name, action=_BoolAction,
                                    default=argparse.SUPPRESS, help=text)
            elif key.type is tuple:
                parser.add_argument(key.flag, dest=key.name, nargs="*", type=_flag_type(key.item_type),
                                    default=argparse.SUPPRESS, help=text, metavar=key.name.upper())
            else:
                parser.add_argument(key.flag, dest=key.name, type=_flag_type(key.type), choices=key.choices,
                                    default=argparse.SUPPRESS, help=text,
                                    metavar=None if key.choices else key.name.upper())
        return parser

    def from_namespace(self, namespace):
        """Defaults, then the YAML file named by `--config`, then the flags given; checked as a whole."""
        values = collections.OrderedDict()
        yaml_path = getattr(namespace, "config", None)
        if yaml_path:
            values.update(self.load_yaml(yaml_path))
        for name in self.keys:
            if hasattr(namespace, name):
                values[name] = getattr(namespace, name)
        return self.validate(values)

    def parse(self, argv=None, description="", epilog=None, prog=None):
        """argv (default sys.argv[1:]) -> Config; raises ConfigError (exit 2 in entry points)."""
        return self.from_namespace(self.parser(description, epilog, prog).parse_args(argv))

    def load_saved(self, run_dir, complete=False):
        """The Config recorded in `run_dir/config.yaml` by `save`, checked against this schema.

        With `complete`, every key of the schema must be there (a hand-edited file that lost a key is an
        error, not silently the default).
        """
        path = os.path.join(run_dir, "config.yaml")
        if not os.path.lexists(path):
            raise ConfigError("no config.yaml in %s (not a run dir, or the run never started)" % run_dir)
        data = read_run_yaml(path) or {}
        if not isinstance(data, dict):
            raise ConfigError("%s must hold a mapping of key: value" % path)
        data = {k: v for k, v in data.items() if k in self.keys or k not in INVOCATION_KEYS}  # an old name
        missing = [name for name, key in self.keys.items()
                   if name not in data and not key.resume_safe and name not in INVOCATION_KEYS] if complete else []
        if missing:
            raise ConfigError("%s: key %s missing (the file was edited or written by another version)"
                              % (path, ", ".join(repr(m) for m in missing)))
        return self.validate(data, where="%s: " % path)


def _show_default(value):
    if isinstance(value, tuple):
        return " ".join(str(v) for v in value) or "(empty)"
    if value is None:
        return "none"
    if value == "":
        return "''"
    return str(value)


def _flag_type(kind):
    if kind is float:
        return float
    if kind is int:
        return int
    return str


def save(cfg, run_dir):
    """Writes the resolved config as `run_dir/config.yaml` (atomically); returns the path."""
    path = os.path.join(run_dir, "config.yaml")
    with files.atomic_write(path) as handle:
        dump_yaml(dict(cfg.to_dict()), handle)
    return path


def load_run_config(run_dir):
    """The plain dict saved by `save` in `run_dir` (no schema: for tools that read any task's run)."""
    path = os.path.join(run_dir, "config.yaml")
    if not os.path.lexists(path):
        raise ConfigError("no config.yaml in %s" % run_dir)
    data = read_run_yaml(path) or {}
    if not isinstance(data, dict):
        raise ConfigError("%s must hold a mapping of key: value" % path)
    return data


def read_run_yaml(path):
    """A run dir's own config.yaml: a regular file (never a followed symlink or a FIFO blocked on), parsed by
    the bounded loader."""
    return parse_yaml(files.read_regular(path, error=ConfigError), path)


# Keys that steer one invocation (when to stop it, whether to start over), under any name they have had: a
# recorded run never differs from the current configuration by them.
INVOCATION_KEYS = ("session_steps", "session_epochs", "restart")


def differences(recorded, cfg):
    """Keys whose value in `cfg` differs from the `recorded` dict (resume-safe keys ignored), sorted."""
    current = cfg.to_dict()
    schema = cfg.schema
    out = []
    for name in sorted(set(recorded) | set(current)):
        if schema is not None and name in schema.keys and schema.keys[name].resume_safe:
            continue
        if name in INVOCATION_KEYS:  # how one invocation runs, never what the run is (also under an old name)
            continue
        old, new = recorded.get(name, "<absent>"), current.get(name, "<absent>")
        if isinstance(old, float) or isinstance(new, float):
            same = isinstance(old, (int, float)) and isinstance(new, (int, float)) and float(old) == float(new)
        else:
            same = old == new
        if not same:
            out.append((name, old, new))
    return out


def require(condition, message):
    """For Schema checks: raises ConfigError(message) unless `condition`."""
    if not condition:
        raise ConfigError(message)


# The shared vocabulary: one name per concept across tasks (see common/README.md). Each returns a Key with the
# task's own default; the help text may be specialised but the name and the range may not.

def run_dir(help="output directory (default: runs/<task>/<derived name>); rerunning the same command resumes"):  # pylint: disable=redefined-builtin
    return Key("run_dir", "", help, resume_safe=True)


def seed(default=0, help="seed of every random draw (initialisation, data order, noise)"):  # pylint: disable=redefined-builtin
    return Key("seed", default, help, ge=0)


def threads(default=2, help="TensorFlow intra- and inter-op threads (0 = TensorFlow's choice)"):  # pylint: disable=redefined-builtin
    return Key("threads", default, help, ge=0, resume_safe=True)


def lr(default, help="learning rate"):  # pylint: disable=redefined-builtin
    return Key("lr", default, help, gt=0)


def batch_size(default, help="examples per training step"):  # pylint: disable=redefined-builtin
    return Key("batch_size", default, help, ge=1)


def epochs(default, help="passes over the training data"):  # pylint: disable=redefined-builtin
    return Key("epochs", default, help, ge=1)


def steps(default, help="training steps in total"):  # pylint: disable=redefined-builtin
    return Key("steps", default, help, ge=1)


def log_every(default, help="steps between logged points (history, TensorBoard, progress)"):  # pylint: disable=redefined-builtin
    return Key("log_every", default, help, ge=1)


def ckpt_every(default, help="steps between checkpoints (one is also written at the end and on a stop)"):  # pylint: disable=redefined-builtin
    return Key("ckpt_every", default, help, ge=1)


def eval_every(default, help="steps between evaluations"):  # pylint: disable=redefined-builtin
    return Key("eval_every", default, help, ge=1)


def num_train(default=0, help="use only the first N training examples (0 = all)"):  # pylint: disable=redefined-builtin
    return Key("num_train", default, help, ge=0)


def val_frac(default, help="fraction of the data held out for validation", allow_zero=False):  # pylint: disable=redefined-builtin
    if allow_zero:
        return Key("val_frac", default, help, ge=0.0, lt=1.0)
    return Key("val_frac", default, help, gt=0.0, lt=1.0)


def hidden(default, help="hidden units per layer"):  # pylint: disable=redefined-builtin
    return Key("hidden", default, help, ge=1)


def session_steps(help="stop with a checkpoint after this many steps in this invocation (0 = run to the end)"):  # pylint: disable=redefined-builtin
    return Key("session_steps", 0, help, ge=0, resume_safe=True)


def session_epochs(help="stop with a checkpoint after this many epochs in this invocation (0 = run to the end)"):  # pylint: disable=redefined-builtin
    """The `session_steps` of a loop whose step is an epoch (tf1_dna, tf1_mnist): one name, one unit."""
    return Key("session_epochs", 0, help, ge=0, resume_safe=True)


def restart(help="discard this run dir's checkpoints, history and metrics and start over"):  # pylint: disable=redefined-builtin
    return Key("restart", False, help, resume_safe=True)


def data_source(default="auto", choices=None, help="where the MNIST images come from"):  # pylint: disable=redefined-builtin
    return Key("data_source", default, help, choices=choices)


def data_dir(help="directory (or file) of the data source (default: the source's usual place)"):  # pylint: disable=redefined-builtin
    return Key("data_dir", None, help, type=str)


def at_least(low, kind=int, high=None):
    """An argparse `type` for helper CLIs: a number of `kind` >= low and <= high (default: the int32 or finite
    float32 limit of the TensorFlow type it feeds); a bad value exits 2 naming the flag."""
    top = high if high is not None else INT32_MAX if kind is int else FLOAT32_MAX

    def convert(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError("must be %s >= %s, got %s" % (
                "an integer" if kind is int else "a finite number", low, short(text)))
        if not low <= value <= top or value != value:
            raise argparse.ArgumentTypeError("must be >= %s and <= %s, got %s" % (low, top, short(text)))
        return value
    convert.__name__ = kind.__name__
    return convert
