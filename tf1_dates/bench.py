"""Speed numbers for tf1_dates, one `key=value` per line.

    python -m tf1_dates.bench [--weights DIR] [--threads 2]

predict_lines_per_second: sampling 6,804 combinations x 5 with the exported weights (model load and
graph build excluded; best of 3 passes). train_steps_per_second: the training step of the same network.
The 1-minute load average is printed too: the machine is shared, so the numbers depend on it.
"""
import argparse
import logging
import os
import sys
import time
from typing import List, Optional

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

logging.getLogger("tensorflow").setLevel(logging.ERROR)  # hide TF 1.15 deprecation notices

from common import training  # noqa: E402
from tf1_dates import calendar_facts, data, model, predict, sampling, tokenizer  # noqa: E402


def bench_predict(weights: str, threads: int, repeats: int = 5) -> float:
    table = calendar_facts.valid_dates_by_combo()
    lines = [" ".join(calendar_facts.condition_tokens(c)) for c in table for _ in range(repeats)]
    ids = tokenizer.encode_lines(lines)
    predictor = predict.Predictor(weights, seed=0, threads=threads)
    predictor.predict(ids[:100])  # warm-up
    best = float("inf")
    for _ in range(3):
        start = time.time()
        sampling.format_lines(lines, predictor.predict(ids))  # includes turning tokens into text
        best = min(best, time.time() - start)
    predictor.close()
    return len(ids) / best


def bench_train(weights: str, threads: int, steps: int = 100) -> float:
    hp = dict(sampling.load_hparams(weights))
    hp.update(batch_size=256, lr=1e-3, lr_final_ratio=1.0, steps=steps, weight_decay=0.0, seed=0)
    table = calendar_facts.valid_dates_by_combo()
    split = data.make_split(table, list(table))
    graph = model.build_train_graph(hp, split)
    graph.graph.finalize()
    with tf.Session(graph=graph.graph, config=training.session_config(threads)) as sess:
        sess.run(graph.init_op)
        sess.run(graph.train_op)  # warm-up
        start = time.time()
        for _ in range(steps):
            sess.run(graph.train_op)
        return steps / (time.time() - start)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Print tf1_dates speed numbers (key=value).")
    parser.add_argument("--weights", default=sampling.WEIGHTS_DIR, help="exported weights dir")
    parser.add_argument("--threads", type=int, default=2, help="TF threads")
    parser.add_argument("--train-steps", type=int, default=100, help="steps timed for training speed")
    args = parser.parse_args(argv)
    if not os.path.exists(os.path.join(args.weights, "hparams.json")):
        sys.stderr.write("error: no exported weights in %s\n" % args.weights)
        return 2
    print("dates_load_average_1min=%.2f" % os.getloadavg()[0])
    print("dates_threads=%d" % args.threads)
    print("dates_predict_lines_per_second=%.0f" % bench_predict(args.weights, args.threads))
    print("dates_train_steps_per_second=%.1f" % bench_train(args.weights, args.threads, args.train_steps))
    print("dates_load_average_1min_after=%.2f" % os.getloadavg()[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
