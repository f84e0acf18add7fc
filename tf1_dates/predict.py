"""Generates one date per condition line with the trained network.

    python tf1_dates/predict.py -i data/dates/example_input.txt -o out.txt [--seed 0]
    python -m tf1_dates.predict -i INPUT -o OUTPUT

Each output line is the input's four condition tokens followed by a sampled date, in data.txt's format
and order. Every date is drawn from the network's softmax heads; nothing checks or repairs it unless
you opt in to `--reject-invalid` (resamples lines that fail the evaluator; reported separately).
A malformed input line stops the run with exit code 2 and no output file.
"""
import logging
import os
import sys

if __package__ in (None, ""):  # `python tf1_dates/predict.py`: make the repo root importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse  # noqa: E402
import time  # noqa: E402
from typing import List, Optional  # noqa: E402

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

logging.getLogger("tensorflow").setLevel(logging.ERROR)  # hide TF 1.15 deprecation notices

from common import files, training  # noqa: E402
from tf1_dates import eval as dates_eval  # noqa: E402
from tf1_dates import model, sampling, tokenizer  # noqa: E402


class InputError(ValueError):
    """A bad input line (message names file, line number, text and reason)."""


def read_conditions(path: str):
    """Reads condition lines -> (lines, int (N, 6) ids); raises InputError on the first bad line."""
    try:
        lines = dates_eval.read_lines(path)
    except (OSError, UnicodeDecodeError) as err:
        raise InputError("%s: cannot read: %s" % (path, err))
    ids = np.zeros((len(lines), len(tokenizer.INPUT_SIZES)), np.int32)
    for number, line in enumerate(lines, 1):
        fields = line.split()
        if len(fields) != 4:
            raise InputError("%s:%d: %r: expected 4 condition tokens like '[WED] [JAN] [False] [180]', "
                             "got %d fields" % (path, number, line, len(fields)))
        try:
            ids[number - 1] = tokenizer.encode_conditions(fields)
        except tokenizer.TokenizerError as err:
            raise InputError("%s:%d: %r: %s" % (path, number, line, err))
    return lines, ids


class Predictor(object):
    """Loads the exported generator once; `predict(ids)` samples date tokens in batches."""

    def __init__(self, weights_dir: str = sampling.WEIGHTS_DIR, seed: int = 0, threads: int = 2):
        hp = sampling.load_hparams(weights_dir)
        self.graph = model.build_sample_graph(hp, seed)
        with self.graph.graph.as_default():
            saver = tf.train.Saver(var_list=self.graph.saver_vars)
        self.graph.graph.finalize()
        self.sess = tf.Session(graph=self.graph.graph, config=training.session_config(threads))
        saver.restore(self.sess, os.path.join(weights_dir, "generator"))

    def predict(self, ids: np.ndarray, temperature: float = 1.0, batch_size: int = 8192) -> np.ndarray:
        return sampling.generate(self.sess, self.graph.inputs, self.graph.samples, self.graph.temperature,
                                 ids, temperature, batch_size)

    def close(self):
        self.sess.close()


def reject_invalid(predictor: Predictor, lines: List[str], ids: np.ndarray, out: List[str],
                   rounds: int, temperature: float) -> int:
    """Opt-in: resamples lines the evaluator fails, up to `rounds` times; returns how many were redrawn."""
    redrawn = 0
    for _ in range(rounds):
        bad = [i for i, line in enumerate(out) if not dates_eval.check_line(line).all_four]
        if not bad:
            break
        redrawn += len(bad)
        again = sampling.format_lines([lines[i] for i in bad], predictor.predict(ids[bad], temperature))
        for i, line in zip(bad, again):
            out[i] = line
    return redrawn


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a date for each line of conditions "
                                                 "(`[DAY] [MON] [True|False] [ddd]`).")
    parser.add_argument("-i", "--input", required=True, help="condition lines, e.g. example_input.txt")
    parser.add_argument("-o", "--output", required=True, help="output file (written atomically)")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (same seed, same output)")
    parser.add_argument("--weights", default=sampling.WEIGHTS_DIR, help="exported weights dir")
    parser.add_argument("--temperature", type=float, default=0.5,
                        help="softmax temperature (0.5: chosen on held-out validation combinations)")
    parser.add_argument("--batch-size", type=int, default=8192, help="lines per session.run")
    parser.add_argument("--threads", type=int, default=2, help="TF threads")
    parser.add_argument("--reject-invalid", action="store_true",
                        help="opt-in: resample lines that fail the evaluator (not the model's own score)")
    parser.add_argument("--reject-rounds", type=int, default=10, help="max resampling rounds")
    args = parser.parse_args(argv)
    try:
        lines, ids = read_conditions(args.input)
    except InputError as err:
        sys.stderr.write("error: %s\n" % err)
        return 2
    try:
        predictor = Predictor(args.weights, args.seed, args.threads)
    except (OSError, ValueError, tf.errors.OpError) as err:
        sys.stderr.write("error: cannot load weights from %s: %s\n" % (args.weights, err))
        return 2
    if len(ids):
        predictor.predict(ids[:1], args.temperature)  # first run() pays one-off graph setup: not timed
    start = time.time()
    out = sampling.format_lines(lines, predictor.predict(ids, args.temperature, args.batch_size))
    seconds = time.time() - start
    if args.reject_invalid:
        redrawn = reject_invalid(predictor, lines, ids, out, args.reject_rounds, args.temperature)
        sys.stderr.write("--reject-invalid: %d draws were resampled\n" % redrawn)
    predictor.close()
    files.write_text(args.output, "\n".join(out))  # no trailing newline, like data.txt
    unsatisfiable = int(np.sum((ids[:, 2] == 1) & (ids[:, 3] == len(tokenizer.DECADE_TOKENS) - 1)))
    if unsatisfiable:
        sys.stderr.write("%d line(s) ask for [True] [220], which no date satisfies (2200 is not a leap "
                         "year); they still get a sampled date\n" % unsatisfiable)
    sys.stderr.write("wrote %d lines to %s (%.0f lines/s, model load excluded)\n"
                     % (len(out), args.output, len(out) / max(seconds, 1e-9)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
