"""Running a built sampling graph and scoring what it draws (shared by train, predict and evaluate)."""
import json
import os
from typing import Dict, List, Sequence

import numpy as np
import tensorflow as tf

from tf1_dates import eval as dates_eval
from tf1_dates import model, tokenizer

# The hyperparameters that define the network (saved beside exported weights).
NETWORK_KEYS = ("hidden", "layers", "rank", "periodic", "dropout")
WEIGHTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights")


def generate(sess: tf.Session, inputs_ph: tf.Tensor, samples: tf.Tensor, temperature_ph: tf.Tensor,
             ids: np.ndarray, temperature: float = 1.0, batch_size: int = 8192) -> np.ndarray:
    """Samples one date per row of `ids` (int (N, 6)) in batches -> int (N, 4) date tokens."""
    out = np.zeros((len(ids), len(model.HEADS)), np.int32)
    for start in range(0, len(ids), batch_size):
        chunk = ids[start:start + batch_size]
        out[start:start + len(chunk)] = sess.run(samples, {inputs_ph: chunk, temperature_ph: temperature})
    return out


def format_lines(condition_lines: Sequence[str], tokens: np.ndarray) -> List[str]:
    """Output lines: the input's four condition tokens, a space, the generated date."""
    dates = tokenizer.decode_dates(tokens)
    return [" ".join(line.split()[:4]) + " " + date for line, date in zip(condition_lines, dates)]


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
                counts: Dict[tuple, int]) -> Dict[str, float]:
    """Asks every combination of `split` `repeats` times; eval.py scores + expected all-four + losses."""
    ids = np.repeat(split.inputs, repeats, axis=0)
    tokens = generate(sess, graph.inputs, graph.samples, graph.temperature, ids, temperature)
    conditions = [" ".join(tokenizer.decode_conditions(row)) for row in ids]
    scores = dates_eval.score_lines(format_lines(conditions, tokens), counts)
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


def save_hparams(directory: str, hp: Dict) -> str:
    path = os.path.join(directory, "hparams.json")
    from common import files  # local import keeps this module light for tests
    saved = {k: hp[k] for k in NETWORK_KEYS}
    # The split recipe, so `evaluate` can recompute which combinations these weights never saw.
    saved["split"] = {"val_frac": hp["val_frac"], "test_frac": hp["test_frac"], "seed": hp["seed"]}
    files.write_json(path, saved)
    return path


def load_hparams(directory: str) -> Dict:
    """The network hyperparameters saved with exported weights (FileNotFoundError if missing)."""
    with open(os.path.join(directory, "hparams.json"), encoding="utf-8") as handle:
        return json.load(handle)
