"""One configuration key and its checks (`common.config` builds Schemas of them; import them from there).

Every value passes the same checks whether it is a default, from YAML or from a flag: the type of the default,
the choices, the declared numeric range, and the range of the TensorFlow type it feeds: an int fits int32, a
float is finite in float32 and meets its bounds there too (0.9999999999999999 is 1.0 in float32, so it is not
< 1 where TensorFlow computes). Keys named like a learning rate, an epsilon, a weight decay, a temperature or
a seed get a sane band (`BANDS`) on any side they leave open or looser (`--temperature 1e-40` is refused).
"""
import math
import re

import numpy as np

from common.yaml_io import ConfigError, short

INT32_MAX = 2 ** 31 - 1          # every int key feeds a TensorFlow int32 (sizes, threads, step counts)
FLOAT32_MAX = float(np.finfo(np.float32).max)   # every float key feeds a float32 tensor
SEED_MAX = 2 ** 31 - 2           # TensorFlow reduces seeds modulo 2**31 - 1: larger ones would repeat others

# Sane bands by key name, tightening a side a key leaves open or looser: the math of the thing
# demands them (a learning rate of 1e308 is a diverged run, not an experiment).
BANDS = (
    (re.compile(r"^(lr|learning_rate|.*_lr)$"), float, {"le": 10.0}),
    (re.compile(r"^(.*_)?(epsilon|eps)$"), float, {"le": 1.0}),
    (re.compile(r"^(weight_decay|reg)$"), float, {"le": 10.0}),
    (re.compile(r"^temperature$"), float, {"ge": 0.01, "le": 100.0}),
    (re.compile(r"^(.*_)?seed$"), int, {"le": SEED_MAX}),
)


_NOT_A_VALUE = object()


class Key(object):
    """One configuration key.

    Args:
      name: the key (`batch_size`); its flag is `--batch-size`.
      default: the default value; its type is the key's type unless `type` is given.
      help: one line for `--help`.
      type: bool, int, float, str or tuple (a list of values); needed when the default is None.
      choices: the allowed values (shown in `--help`).
      ge, gt, le, lt: numeric bounds (inclusive / exclusive). Floats must be finite in any case.
      resume_safe: the value may differ when a run is resumed (thread counts, output paths).
      item_type: element type of a tuple key.
    """

    def __init__(self, name, default, help, type=None, choices=None, ge=None, gt=None, le=None, lt=None,  # pylint: disable=redefined-builtin
                 resume_safe=False, item_type=None):
        self.name = name
        self.default = tuple(default) if isinstance(default, list) else default
        self.help = help
        if type is None:
            if default is None:
                raise ValueError("key %r: a None default needs an explicit type" % name)
            type = tuple if isinstance(default, (list, tuple)) else builtin_type(default)
        self.type = type
        self.item_type = item_type or (builtin_type(self.default[0]) if type is tuple and self.default else str)
        self.choices = tuple(choices) if choices is not None else None
        for pattern, kind, band in BANDS:  # a band tightens a side the key leaves open or looser
            if kind is self.type and pattern.match(name):
                if "ge" in band and max(b for b in (ge, gt, -math.inf) if b is not None) < band["ge"]:
                    ge, gt = band["ge"], None
                if "le" in band and min(b for b in (le, lt, math.inf) if b is not None) > band["le"]:
                    le, lt = band["le"], None
        self.bounds = [(op, value) for op, value in ((">=", ge), (">", gt), ("<=", le), ("<", lt)) if value is not None]
        self.resume_safe = resume_safe
        self.nullable = default is None

    @property
    def flag(self):
        return "--" + self.name.replace("_", "-")

    def allowed(self):
        """Human-readable description of the allowed values, e.g. 'an int >= 1' or 'one of a, b'."""
        if self.choices is not None:
            return "one of %s" % ", ".join(str(c) for c in self.choices)
        names = {bool: "true or false", int: "an integer", float: "a finite number", str: "a string"}
        kind = names[self.type] if self.type is not tuple else "a list of %s" % {
            bool: "booleans", int: "integers", float: "finite numbers", str: "strings"}[self.item_type]
        if self.bounds:
            kind += " " + " and ".join("%s %s" % b for b in self.bounds)
        return kind + (" (or null)" if self.nullable else "")

    def check(self, value, where=""):
        """`value` converted to this key's type and checked; raises ConfigError naming the key."""
        prefix = "%sconfig key %r" % (where, self.name)
        if value is None:
            if self.nullable:
                return None
            raise ConfigError("%s must be %s, got null" % (prefix, self.allowed()))
        if self.type is tuple:
            if not isinstance(value, (list, tuple)):
                raise ConfigError("%s must be a list, got %s" % (prefix, short(value)))
            return tuple(self._check_scalar(v, self.item_type, prefix) for v in value)
        return self._check_scalar(value, self.type, prefix)

    def _check_scalar(self, given, kind, prefix):
        value = _convert(given, kind)
        if value is _NOT_A_VALUE:
            raise ConfigError("%s must be %s, got %s" % (prefix, self.allowed(), short(given)))
        if self.choices is not None and value not in self.choices:
            raise ConfigError("%s must be %s, got %s" % (prefix, self.allowed(), short(value)))
        if kind in (int, float):
            if isinstance(value, float) and not math.isfinite(value):
                raise ConfigError("%s must be %s, got %s" % (prefix, self.allowed(), short(value)))
            for op, bound in self.bounds:
                if not _OPS[op](value, bound):
                    raise ConfigError("%s must be %s, got %s" % (prefix, self.allowed(), short(value)))
            _check_type_range(value, kind, self, prefix)
        return value


def _check_type_range(value, kind, key, prefix):
    """The value must fit the TensorFlow type it feeds: int32, or a finite float32 that still meets the bounds
    (0.9999999999999999 is 1.0 in float32, so it is not < 1 where TensorFlow computes)."""
    if kind is int and not -INT32_MAX - 1 <= value <= INT32_MAX:
        raise ConfigError("%s must be %s and fit an int32 (at most %d), got %s"
                          % (prefix, key.allowed(), INT32_MAX, short(value)))
    if kind is float:
        single = float(np.float32(value)) if abs(value) <= FLOAT32_MAX else math.inf
        if not math.isfinite(single):
            raise ConfigError("%s must be %s and fit a float32 (magnitude at most %.4g), got %s"
                              % (prefix, key.allowed(), FLOAT32_MAX, short(value)))
        for op, bound in key.bounds:  # both sides in float32: a documented bound (0.01) is itself allowed
            if not _OPS[op](single, float(np.float32(bound))):
                raise ConfigError("%s must be %s in float32, where TensorFlow computes; %r is %r there"
                                  % (prefix, key.allowed(), value, single))


_OPS = {">=": lambda a, b: a >= b, ">": lambda a, b: a > b, "<=": lambda a, b: a <= b, "<": lambda a, b: a < b}


def builtin_type(value):
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind
    raise ValueError("unsupported config value %r (%s)" % (value, type(value).__name__))


def _convert(value, kind):
    """`value` as `kind`, or _NOT_A_VALUE when it is not one (bools are never numbers)."""
    if kind is bool:
        return value if isinstance(value, bool) else _NOT_A_VALUE
    if isinstance(value, bool):
        return _NOT_A_VALUE
    if kind is int:
        return value if isinstance(value, int) else _NOT_A_VALUE
    if kind is float:
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):  # YAML 1.1 reads 1e-3 as a string; the user meant the number
            try:
                return float(value)
            except ValueError:
                return _NOT_A_VALUE
        return _NOT_A_VALUE
    if kind is str:
        return value if isinstance(value, str) else _NOT_A_VALUE
    return _NOT_A_VALUE
