"""Running a built sampling graph and scoring what it draws (shared by train, predict and evaluate_weights).

Also where weights are found: `--weights` names either a *weights dir* (`hparams.json` + `generator.*`, like
the committed `tf1_dates/weights/` or a finished run's `weights/`) or a *run dir* (`config.yaml` +
`checkpoints/`: its newest readable checkpoint, so a stopped run can be sampled as well).
"""
import collections
import os
import sys
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf

from common import config, files, run
from tf1_dates import model, score, text_format, tokenizer

# The hyperparameters that define the network (saved beside exported weights).
NETWORK_KEYS = ("hidden", "layers", "rank", "periodic", "dropout")
SPLIT_KEYS = ("val_frac", "test_frac", "seed")
WEIGHTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights")
WEIGHTS_PREFIX = "generator"
# Noise streams of the keyed validation draws (one per split scored while training).
STREAMS = {"train_probe": 1, "val": 2, "train": 3, "test": 4}
_MAX_BATCHES = 4096

Weights = collections.namedtuple("Weights", "path kind hparams checkpoint_dir")


class WeightsError(files.InputError):
    """`--weights` names no loadable weights (the message says what was looked for)."""


def noise_key(seed: int, step: int, stream: int, batch: int) -> np.ndarray:
    """The int64 (2,) key of one keyed draw: a function of (seed, step, stream, batch) only."""
    if not 0 <= batch < _MAX_BATCHES or not 0 <= stream < 64:
        raise ValueError("batch %d / stream %d out of the key's range" % (batch, stream))
    return np.array([int(seed) * 64 + int(stream), int(step) * _MAX_BATCHES + int(batch)], np.int64)


def generate(sess: tf.Session, graph, ids: np.ndarray, temperature: float = 1.0, batch_size: int = 8192,
             key: Optional[Tuple[int, int, int]] = None) -> np.ndarray:
    """Samples one date per row of `ids` (int (N, 6)) in batches -> int (N, 4) date tokens.

    Args:
      graph: a model.TrainGraph or model.SampleGraph.
      key: (seed, step, stream) for a graph with a `noise_key` placeholder (batch b draws with
        noise_key(seed, step, stream, b)); None for a graph with stateful noise.
    """
    out = np.zeros((len(ids), len(model.HEADS)), np.int32)
    for batch, start in enumerate(range(0, len(ids), batch_size)):
        chunk = ids[start:start + batch_size]
        feed = {graph.inputs: chunk, graph.temperature: temperature}
        if graph.noise_key is not None:
            feed[graph.noise_key] = noise_key(key[0], key[1], key[2], batch)
        out[start:start + len(chunk)] = sess.run(graph.samples, feed)
    return out


def format_lines(condition_lines: Sequence[str], tokens: np.ndarray) -> List[str]:
    """Output lines: the input's four condition tokens, a space, the generated date."""
    dates = tokenizer.decode_dates(tokens)
    return [" ".join(text_format.fields(line)[:4]) + " " + date for line, date in zip(condition_lines, dates)]


def expected_valid(probs: Dict[str, np.ndarray], dy_target: np.ndarray, tokens: np.ndarray) -> np.ndarray:
    """Per combination: the model's total probability of a date meeting all four conditions.

    This is the exact expected all-four rate of one sample (the sampled rate is a noisy estimate of it).
    """
    mass = (probs["dy"] * (dy_target > 0)).sum(axis=1)  # (N,)
    rows = np.arange(len(mass))
    for i, head in enumerate(model.HEADS[1:]):
        mass = mass * probs[head][rows, tokens[:, i]]
    return mass


def score_split(sess: tf.Session, graph, split, repeats: int, temperature: float,
                counts: Dict[tuple, int], key: Optional[Tuple[int, int, int]] = None) -> Dict[str, float]:
    """Asks every combination of `split` `repeats` times; score.py's scores + expected all-four + losses.

    `key` = (seed, step, stream) for the training graph's keyed draws (see `generate`).
    """
    ids = np.repeat(split.inputs, repeats, axis=0)
    tokens = generate(sess, graph, ids, temperature, key=key)
    conditions = [" ".join(tokenizer.decode_conditions(row)) for row in ids]
    scores = score.score_lines(format_lines(conditions, tokens), counts)
    fetch = {"probs": graph.probs}
    feed = {graph.inputs: split.inputs}
    if hasattr(graph, "eval_losses"):
        fetch["losses"] = graph.eval_losses
        feed.update({graph.eval_dy: split.dy_target, graph.eval_tokens: split.tokens})
    got = sess.run(fetch, feed)
    mass = expected_valid(got["probs"], split.dy_target, split.tokens)
    scores["expected_all_four"] = float(mass.mean())
    scores["worst_combo_all_four"] = float(mass.min())
    if "losses" in got:
        scores["loss"] = float(sum(got["losses"].values()))
        # The dy loss cannot go below the entropy of the uniform target, log(#dates): report the excess.
        scores["loss_excess"] = scores["loss"] - float(np.log(split.num_dates).mean())
    return scores


def save_weights(saver: tf.train.Saver, sess: tf.Session, directory: str, hp) -> str:
    """Writes a weights dir: the generator's variables (`generator.*`) and `hparams.json`; returns the dir."""
    os.makedirs(directory, exist_ok=True)
    saver.save(sess, os.path.join(directory, WEIGHTS_PREFIX), write_meta_graph=False, write_state=False)
    save_hparams(directory, hp)
    return directory


def save_hparams(directory: str, hp) -> str:
    path = os.path.join(directory, "hparams.json")
    saved = {k: hp[k] for k in NETWORK_KEYS}
    # The split recipe, so `evaluate_weights` can recompute which combinations these weights never saw.
    saved["split"] = {k: hp[k] for k in SPLIT_KEYS}
    files.write_json(path, saved)
    return path


def load_hparams(directory: str) -> Dict:
    """The network hyperparameters saved with a weights dir, or taken from a run dir's config.yaml."""
    return find_weights(directory).hparams


def find_weights(path: str) -> Weights:
    """What `--weights PATH` names: a weights dir or a run dir (see the module docstring).

    Raises:
      WeightsError: PATH is neither, or its hparams/config are unreadable or incomplete.
    """
    if os.path.isfile(os.path.join(path, "hparams.json")):
        try:
            hparams = files.read_json(os.path.join(path, "hparams.json"))
        except (OSError, ValueError) as err:
            raise WeightsError("%s: cannot read hparams.json: %s" % (path, err))
        if not isinstance(hparams, dict):
            raise WeightsError("%s: hparams.json must hold a mapping" % path)
        return Weights(path, "weights dir", _checked(hparams, os.path.join(path, "hparams.json")), None)
    if os.path.isfile(os.path.join(path, "config.yaml")):
        recorded = config.load_run_config(path)
        hparams = {k: recorded.get(k) for k in NETWORK_KEYS}
        hparams["split"] = {k: recorded.get(k) for k in SPLIT_KEYS}
        return Weights(path, "run dir", _checked(hparams, os.path.join(path, "config.yaml")),
                       run.RunPaths(path).checkpoints)
    if os.path.lexists(path) and not os.path.isdir(path):
        raise WeightsError("--weights %s is a file, expected the weights folder (hparams.json + %s.*) or a run "
                           "dir" % (path, WEIGHTS_PREFIX))
    if not os.path.isdir(path):
        raise WeightsError("--weights %s: no such directory" % path)
    raise WeightsError("--weights %s is neither a weights dir (hparams.json + %s.*) nor a tf1_dates run dir "
                       "(config.yaml + checkpoints/)" % (path, WEIGHTS_PREFIX))


def _checked(hparams: Dict, where: str) -> Dict:
    types = {"hidden": int, "layers": int, "rank": int, "periodic": bool, "dropout": float}
    for key, kind in types.items():
        value = hparams.get(key)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = hparams[key] = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise WeightsError("%s: %r must be %s, got %r" % (where, key, kind.__name__, value))
    if hparams["hidden"] < 1 or hparams["layers"] < 1 or hparams["rank"] < 0:
        raise WeightsError("%s: hidden, layers must be >= 1 and rank >= 0, got %r" % (where, hparams))
    return hparams


def restorer(weights: Weights, var_list: Sequence[tf.Variable]):
    """Builds (inside the graph, before finalize) what restores `weights` into `var_list`.

    Returns:
      function(sess) -> a one-line description of what was restored.
    """
    if weights.kind == "weights dir":
        saver = tf.train.Saver(var_list=list(var_list))
        prefix = os.path.join(weights.path, WEIGHTS_PREFIX)

        def restore(sess):
            try:
                saver.restore(sess, prefix)
            except (tf.errors.OpError, ValueError) as err:
                missing = [name for name in (prefix + ".index", prefix + ".data-00000-of-00001")
                           if not os.path.isfile(name)]
                reason = "missing file %s" % ", ".join(missing) if missing else (
                    getattr(err, "message", None) or str(err)).strip().splitlines()[0][:300]
                raise WeightsError("cannot load weights from %s: %s" % (weights.path, reason))
            return "weights %s" % weights.path
        return restore
    checkpointer = run.Checkpointer(weights.checkpoint_dir, var_list=list(var_list))

    def restore_newest(sess):
        step = checkpointer.restore_newest(sess, warn=lambda message: sys.stderr.write("note: %s\n" % message))
        if step is None:
            raise WeightsError("run dir %s has no checkpoint yet (train first)" % weights.path)
        return "run dir %s, checkpoint of step %d" % (weights.path, step)
    return restore_newest
