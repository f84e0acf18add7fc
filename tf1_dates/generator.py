"""The trained generator, loaded for sampling (predict, evaluate_weights, bench): what `--weights` names.

`--weights PATH` names either
  * a *weights dir*: `hparams.json` + `generator.*` (the committed `tf1_dates/weights/`, a finished run's
    `weights/`). hparams.json is checked key by key with the training schema's own keys (every key required,
    unknown keys refused, the file and the key named), then against the variables of `generator.*`: hidden,
    layers, rank and the periodic first layer are read off the weights, so a hand-edited hparams.json that
    disagrees with them (`layers: 5000`, a flipped `periodic`) is refused before any graph is built; or
  * a *run dir*: `config.yaml` + `checkpoints/` of `python -m tf1_dates.train`, restored by
    `common.inference.restore` (config.yaml read through the training schema, the newest readable
    checkpoint), so a stopped run can be sampled too. Its config is checked against the newest checkpoint's
    variables in the same way.
"""
import collections
import json
import os

import tensorflow as tf

from common import config, files, inference, run, training
from tf1_dates import model, sampling
from tf1_dates import task as dates_task

Weights = collections.namedtuple("Weights", "path kind hparams")
# A loaded generator: its SampleGraph, open session, hyper-parameters and a one-line description of its source.
Generator = collections.namedtuple("Generator", "graph session hparams source")


class WeightsError(files.InputError):
    """`--weights` names no loadable weights, or their hyper-parameters do not fit them (the message says which)."""


def _key(name):
    return dates_task.SCHEMA.keys[name]  # one declaration of each key's type and range: the training schema's


def read_hparams(path):
    """hparams.json -> {network keys..., "split": {val_frac, test_frac, seed}}, every value checked.

    Raises:
      WeightsError: unreadable or not JSON; config.ConfigError: a key unknown, missing or out of range.
    """
    def unique(pairs):
        keys = [k for k, _ in pairs]
        for k in keys:
            if keys.count(k) > 1:
                raise WeightsError("%s: duplicate key %r" % (path, k))
        return dict(pairs)
    text = files.read_text(path)
    try:
        raw = json.loads(text, object_pairs_hook=unique)
    except WeightsError:
        raise
    except ValueError as err:
        raise WeightsError("%s: not valid JSON: %s" % (path, err))
    if not isinstance(raw, dict) or not isinstance(raw.get("split", {}), dict):
        raise WeightsError("%s must hold a mapping with a 'split' mapping inside" % path)
    where = "%s: " % path
    groups = ((raw, sampling.NETWORK_KEYS, ""), (raw.get("split", {}), sampling.SPLIT_KEYS, "split."))
    out = {"split": {}}
    for given, names, prefix in groups:
        known = set(names) | ({"split"} if not prefix else set())
        unknown = sorted(set(given) - known)
        if unknown:
            raise config.ConfigError("%sunknown key %r (known: %s)" % (where, prefix + unknown[0], ", ".join(
                prefix + n for n in names) + (", split" if not prefix else "")))
        missing = [prefix + n for n in names if n not in given]
        if missing:
            raise config.ConfigError("%skey %s missing" % (where, ", ".join(repr(m) for m in missing)))
        target = out["split"] if prefix else out
        for name in names:
            target[name] = _key(name).check(given[name], where)
    return out


def check_against_weights(hparams, prefix, where):
    """Refuses `hparams` that do not build the network stored at checkpoint `prefix` (its variables' shapes)."""
    try:
        stored = {name: tuple(shape) for name, shape in tf.train.list_variables(prefix)
                  if name.startswith("generator/") and name.rsplit("/", 1)[-1] in ("kernel", "bias")}
    except (tf.errors.OpError, ValueError) as err:
        raise WeightsError("cannot load weights from %s: %s" % (prefix, _reason(err, prefix)))
    held = model.network_of(stored)
    for key in ("periodic", "layers", "hidden", "rank"):
        if key in held and held[key] != hparams[key]:
            raise WeightsError("%s: %r is %r but the weights %s hold a network with %s = %r"
                               % (where, key, hparams[key], prefix, key, held[key]))
    expected = model.variable_shapes(hparams)
    if expected != stored:
        differ = sorted(set(expected) ^ set(stored)) or sorted(k for k in expected if expected[k] != stored[k])
        raise WeightsError("%s does not describe the weights %s (variable %s: %s expected, %s stored)"
                           % (where, prefix, differ[0], expected.get(differ[0], "none"), stored.get(differ[0], "none")))


def _reason(err, prefix):
    """What is wrong with checkpoint `prefix`: the missing file when one is, else TensorFlow's first line."""
    missing = [name for name in (prefix + ".index", prefix + ".data-00000-of-00001") if not os.path.isfile(name)]
    if missing:
        return "missing file %s" % ", ".join(missing)
    return (getattr(err, "message", None) or str(err)).strip().splitlines()[0][:300]


def find_weights(path):
    """What `--weights PATH` names, its hyper-parameters checked (see the module docstring).

    Raises:
      WeightsError, config.ConfigError: PATH is neither kind, or its hparams/config do not fit its weights.
    """
    hparams_path = os.path.join(path, "hparams.json")
    if os.path.isfile(hparams_path):
        hparams = read_hparams(hparams_path)
        check_against_weights(hparams, os.path.join(path, sampling.WEIGHTS_PREFIX), hparams_path)
        return Weights(path, "weights dir", hparams)
    if os.path.isfile(os.path.join(path, "config.yaml")):
        cfg = inference.recorded_config(path, dates_task.SCHEMA)
        hparams = {k: cfg[k] for k in sampling.NETWORK_KEYS}
        hparams["split"] = {k: cfg[k] for k in sampling.SPLIT_KEYS}
        newest = tf.train.latest_checkpoint(run.RunPaths(path).checkpoints)
        if newest is not None:
            check_against_weights(hparams, newest, os.path.join(path, "config.yaml"))
        return Weights(path, "run dir", hparams)
    if os.path.lexists(path) and not os.path.isdir(path):
        raise WeightsError("--weights %s is a file, expected the weights folder (hparams.json + %s.*) or a run dir"
                           % (path, sampling.WEIGHTS_PREFIX))
    if not os.path.isdir(path):
        raise WeightsError("--weights %s: no such directory" % path)
    raise WeightsError("--weights %s is neither a weights dir (hparams.json + %s.*) nor a tf1_dates run dir "
                       "(config.yaml + checkpoints/)" % (path, sampling.WEIGHTS_PREFIX))


def load_hparams(path):
    """The network hyper-parameters (and split recipe) of a weights dir or a run dir, checked."""
    return find_weights(path).hparams


def _generator_variables(graph):
    return graph.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES, "generator")


def load(path, seed=0, threads=2):
    """The sampling graph of `--weights PATH` with its weights restored, in an open session (close it).

    `seed` is the graph seed of the stateful sampling noise: one stream per loaded generator.
    """
    found = find_weights(path)
    if found.kind == "run dir":
        restored = inference.restore(path, lambda cfg: model.sample_graph(cfg, seed), schema=dates_task.SCHEMA,
                                     threads=threads, var_list=_generator_variables)
        return Generator(restored.outputs, restored.session, found.hparams,
                         "run dir %s, checkpoint of step %d" % (path, restored.step))
    graph = model.build_sample_graph(found.hparams, seed)
    with graph.graph.as_default():
        saver = tf.train.Saver(var_list=list(graph.saver_vars))
        finite = inference.all_finite(list(graph.saver_vars))
    graph.graph.finalize()
    session = tf.Session(graph=graph.graph, config=training.session_config(threads))
    try:
        saver.restore(session, os.path.join(path, sampling.WEIGHTS_PREFIX))
        if not session.run(finite):
            raise WeightsError("the weights in %s hold NaN or infinite values (exported from a diverged run, or "
                               "damaged); export them again from a finished run" % path)
    except (tf.errors.OpError, ValueError) as err:
        session.close()
        raise WeightsError("cannot load weights from %s: %s"
                           % (path, _reason(err, os.path.join(path, sampling.WEIGHTS_PREFIX))))
    except BaseException:
        session.close()
        raise
    return Generator(graph, session, found.hparams, "weights %s" % path)
