"""Generates one date per condition line with the trained network.

    python tf1_dates/predict.py -i data/dates/example_input.txt -o out.txt [--seed 0]
    python -m tf1_dates.predict -i INPUT -o OUTPUT [--weights RUN_DIR]

Each output line is the input's four condition tokens followed by a sampled date, in data.txt's format
and order; the output ends with a newline. Every date is drawn from the network's softmax heads; nothing
checks or repairs it unless you opt in to `--reject-invalid` (resamples lines that fail the evaluator;
reported separately). The input is read and answered `--batch-size` lines at a time, so memory is bounded
by the batch, not the file; a UTF-8 BOM is dropped and only \\n or \\r\\n end a line.
A malformed line stops the run with exit code 2 (`file:line: 'text': reason`) and no output file (a
previous output stays as it was); so does an output path that would lose data (the input itself, a
directory, a device or FIFO, a read-only file, a missing directory), and so does `--weights` whose hparams.json
(or a run dir's config.yaml) does not fit the stored weights (generator.py checks it before building anything).
"""
import os
import sys

if __package__ in (None, ""):  # `python tf1_dates/predict.py`: make the repo root importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import common  # noqa: E402,F401  (quiets TensorFlow before it is imported, also in the script form)

import time  # noqa: E402
from typing import Iterator, List, Tuple  # noqa: E402

import numpy as np  # noqa: E402

from common import cli, config, files  # noqa: E402
from tf1_dates import generator, sampling, score, text_format, tokenizer  # noqa: E402

SCHEMA = config.Schema([
    config.Key("weights", sampling.WEIGHTS_DIR, "a weights dir (hparams.json + generator.*) or a training run "
                                                "dir (its newest checkpoint)"),
    config.seed(0, "sampling seed (the same seed and --batch-size give the same output)"),
    config.Key("temperature", 0.5, "softmax temperature (0.5: chosen on held-out validation combinations)", gt=0.0),
    config.Key("batch_size", 8192, "lines read, sampled and written per step (bounds the memory)", ge=1),
    config.threads(2, "TensorFlow intra- and inter-op threads (0 = TensorFlow's choice)"),
    config.Key("reject_invalid", False, "opt-in: resample lines that fail the evaluator (not the model's own score)"),
    config.Key("reject_rounds", 10, "max resampling rounds per batch with --reject-invalid", ge=1, le=1000),
])

# Lines asking `[True] [220]`: no date satisfies them (2200 is not a leap year).
_UNSATISFIABLE_DECADE = len(tokenizer.DECADE_TOKENS) - 1


def read_batches(path: str, batch_size: int) -> Iterator[Tuple[List[str], np.ndarray]]:
    """Yields (condition lines, int (n, 6) ids) of at most `batch_size` lines; LineError on a bad line."""
    lines, ids = [], []
    for number, text in text_format.iter_lines(path):
        try:
            fields = text_format.fields(text)
            if len(fields) != 4:
                raise tokenizer.TokenizerError(
                    "expected 4 condition tokens like '[WED] [JAN] [False] [180]', got %s"
                    % ("an empty line" if not fields else "%d fields" % len(fields)))
            ids.append(tokenizer.encode_conditions(fields))
        except ValueError as err:  # TokenizerError or a character that is no separator
            raise text_format.line_error(path, number, text, str(err))
        lines.append(" ".join(fields))
        if len(lines) == batch_size:
            yield lines, np.array(ids, np.int32)
            lines, ids = [], []
    if lines:
        yield lines, np.array(ids, np.int32)


class Predictor(object):
    """Loads the generator once; `predict(ids)` samples date tokens in batches.

    Args:
      weights: a weights dir or a run dir (see `generator.py`: both are checked before anything is built).
      seed: graph seed of the (stateful) sampling noise: one stream per Predictor.
      threads: TF threads.
    """

    def __init__(self, weights: str = sampling.WEIGHTS_DIR, seed: int = 0, threads: int = 2):
        loaded = generator.load(weights, seed, threads)
        self.hparams, self.graph, self.sess, self.source = loaded.hparams, loaded.graph, loaded.session, loaded.source

    def predict(self, ids: np.ndarray, temperature: float = 1.0, batch_size: int = 8192) -> np.ndarray:
        return sampling.generate(self.sess, self.graph, ids, temperature, batch_size)

    def close(self):
        self.sess.close()


def reject_invalid(predictor: Predictor, lines: List[str], ids: np.ndarray, out: List[str],
                   rounds: int, temperature: float) -> int:
    """Opt-in: resamples lines the evaluator fails, up to `rounds` times; returns how many were redrawn."""
    redrawn = 0
    for _ in range(rounds):
        bad = [i for i, line in enumerate(out) if not score.check_line(line).all_four]
        if not bad:
            break
        redrawn += len(bad)
        again = sampling.format_lines([lines[i] for i in bad], predictor.predict(ids[bad], temperature))
        for i, line in zip(bad, again):
            out[i] = line
    return redrawn


def predict_file(predictor: Predictor, cfg, source: str, handle) -> dict:
    """Streams `source` through the network into `handle`, one batch at a time; returns counts.

    With the same seed and batch size the output is exactly what sampling the whole file in one call
    (`predictor.predict(all ids, T, batch_size)`) gives: the batches draw from the same stream in order.
    """
    counts = {"lines": 0, "unsatisfiable": 0, "redrawn": 0, "seconds": 0.0}
    first = True
    for lines, ids in read_batches(source, cfg.batch_size):
        if first:  # the first run() pays one-off graph setup: done on one line, not timed
            predictor.predict(ids[:1], cfg.temperature)
            first = False
        start = time.time()
        out = sampling.format_lines(lines, predictor.predict(ids, cfg.temperature, cfg.batch_size))
        counts["seconds"] += time.time() - start
        if cfg.reject_invalid:
            counts["redrawn"] += reject_invalid(predictor, lines, ids, out, cfg.reject_rounds, cfg.temperature)
        handle.write("\n".join(out) + "\n")
        counts["lines"] += len(out)
        counts["unsatisfiable"] += int(np.sum((ids[:, 2] == 1) & (ids[:, 3] == _UNSATISFIABLE_DECADE)))
    return counts


@cli.entry_point
def main(argv=None):
    parser = SCHEMA.parser(description="Generate a date for each line of conditions "
                                       "(`[DAY] [MON] [True|False] [ddd]`), in data.txt's format.")
    parser.add_argument("-i", "--input", required=True, help="condition lines, e.g. example_input.txt (required)")
    parser.add_argument("-o", "--output", required=True,
                        help="output file, written atomically; refused if it is the input, a directory, a "
                             "device or FIFO, or read-only (required)")
    args = parser.parse_args(argv)
    cfg = SCHEMA.from_namespace(args)
    target = files.check_output(args.output, [args.input] + files.artefact_inputs(cfg.weights))
    if os.path.basename(args.input) == "example_input.txt" and not os.path.exists(args.input):
        raise files.InputError("%s: no such file: it is generated, not committed: run `make data` "
                               "(or python -m tf1_dates.datagen) first" % args.input)
    text_format.check_input(args.input)  # before the weights are loaded: fail fast
    predictor = Predictor(cfg.weights, cfg.seed, cfg.threads)
    try:
        with files.atomic_write(target) as handle:
            counts = predict_file(predictor, cfg, args.input, handle)
    finally:
        predictor.close()
    if cfg.reject_invalid:
        sys.stderr.write("--reject-invalid: %d draws were resampled\n" % counts["redrawn"])
    if counts["unsatisfiable"]:
        sys.stderr.write("%d line(s) ask for [True] [220], which no date satisfies (2200 is not a leap "
                         "year); they still get a sampled date\n" % counts["unsatisfiable"])
    sys.stderr.write("wrote %d lines to %s (%.0f lines/s, model load excluded; %s)\n"
                     % (counts["lines"], args.output, counts["lines"] / max(counts["seconds"], 1e-9),
                        predictor.source))
    return 0


if __name__ == "__main__":
    sys.exit(main())
