"""Reading configuration YAML safely: the one loader behind `--config FILE.yaml` and a run dir's `config.yaml`.

PyYAML's SafeLoader implements YAML 1.1, whose surprises a configuration must not inherit; this loader:
  * resolves plain scalars the YAML 1.2 way for numbers: `1:30` stays the string "1:30" (1.1 reads it as the
    sexagesimal 90), `0o17`/`0x1f` are the only prefixed integers, `1e-3` is a float;
  * has no merge keys (`<<` is an ordinary key, so an unknown one; an explicit `!!merge` is refused);
  * refuses a key given twice in one mapping (PyYAML silently keeps the last one);
  * bounds the document: at most MAX_DEPTH levels of nesting and MAX_NODES nodes after alias expansion, so an
    alias bomb ("billion laughs") is refused in milliseconds without building anything large.
Every error is a `ConfigError` naming the file and line; values shown in messages are cut to SHOWN_CHARS.
"""
import re

import yaml

from common import errors, files

MAX_DEPTH = 32
MAX_NODES = 100000
SHOWN_CHARS = 200


class ConfigError(errors.UserError):
    """A configuration key is unknown, or its value has the wrong type or lies outside its allowed range."""


def short(value, limit=SHOWN_CHARS):
    """repr(value), cut to `limit` characters (a hostile value never floods a message)."""
    text = repr(value)
    if len(text) > limit:
        return text[:limit - 20] + "... (%d characters)" % len(text)
    return text


_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)"
                    r"|\.(?:nan|NaN|NAN))$")


class SafeConfigLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    """SafeLoader with YAML 1.2 numbers, no merge keys, unique keys and a bounded document (module docstring)."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers
                if tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:merge",
                               "tag:yaml.org,2002:bool")]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}

    def __init__(self, stream):
        super(SafeConfigLoader, self).__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        if self._depth >= MAX_DEPTH:
            mark = self.peek_event().start_mark
            raise ConfigError("line %d: nested deeper than %d levels" % (mark.line + 1, MAX_DEPTH))
        self._depth += 1
        try:
            return super(SafeConfigLoader, self).compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_node(self):
        node = super(SafeConfigLoader, self).get_single_node()
        if node is not None and _expanded_size(node, {}) > MAX_NODES:
            raise ConfigError("line 1: the document expands to more than %d values (aliases repeating aliases); "
                              "write the values out" % MAX_NODES)
        return node

    def flatten_mapping(self, node):
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise ConfigError("line %d: merge keys (<<) are not supported; write the keys out"
                                  % (key_node.start_mark.line + 1))

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                first = seen.get(key)
            except TypeError:
                raise ConfigError("line %d: a key must be a plain value, got %s"
                                  % (key_node.start_mark.line + 1, short(key)))
            if first is not None:
                raise ConfigError("line %d: duplicate key %s (first given on line %d)"
                                  % (key_node.start_mark.line + 1, short(key), first))
            seen[key] = key_node.start_mark.line + 1
        return super(SafeConfigLoader, self).construct_mapping(node, deep=deep)


def _expanded_size(node, memo):
    """Nodes in `node` with every alias expanded, computed once per shared node (cheap even for a bomb)."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1  # a recursive alias counts once
    size = 1
    if isinstance(node, yaml.SequenceNode):
        size += sum(_expanded_size(child, memo) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        size += sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    memo[key] = min(size, MAX_NODES + 1)
    return memo[key]


SafeConfigLoader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
SafeConfigLoader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))
# YAML 1.2 booleans: true / false only (YAML 1.1's yes, no, on, off, y, n stay strings: a type error for a bool key).
SafeConfigLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                       list("tTfF"))


class SafeConfigDumper(yaml.SafeDumper):  # pylint: disable=too-many-ancestors
    """SafeDumper that quotes exactly the strings SafeConfigLoader would read as something else ("1e3", "0o17"),
    so a saved config.yaml reads back as the same values."""

    yaml_implicit_resolvers = {first: list(resolvers)
                               for first, resolvers in SafeConfigLoader.yaml_implicit_resolvers.items()}


def dump_yaml(data, handle):
    """`data` as block-style YAML in the key order given, readable back by `read_yaml` value for value."""
    yaml.dump(data, handle, Dumper=SafeConfigDumper, default_flow_style=False, sort_keys=False)


def _construct_int(loader, node):
    text = loader.construct_scalar(node)
    return int(text, 0) if text[:2] in ("0o", "0x") else int(text)


SafeConfigLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


MAX_YAML_BYTES = 1 << 20  # 1 MiB: a config is a few hundred bytes; a bigger file is a mistake, not a config


def read_yaml(path):
    """The YAML document in `path` (None if empty); errors name the file and line."""
    raw = files.read_bytes(path, error=_config_file_error, limit=MAX_YAML_BYTES, what="config file")
    return parse_yaml(raw, path)


def _config_file_error(message):
    return ConfigError("config file " + message)


def parse_yaml(raw, path):
    """The YAML document in the bytes `raw` read from `path` (None if empty)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ConfigError("config file %s is not UTF-8 text (byte %d)" % (path, err.start))
    try:
        return yaml.load(text, Loader=SafeConfigLoader)  # nosec: a SafeLoader subclass
    except ConfigError as err:
        raise ConfigError("config file %s, %s" % (path, err))
    except RecursionError:
        raise ConfigError("config file %s is nested too deeply" % path)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = " line %d" % (mark.line + 1) if mark is not None else ""
        raise ConfigError("config file %s%s is not valid YAML: %s"
                          % (path, where, str(getattr(err, "problem", None) or err)[:SHOWN_CHARS]))
