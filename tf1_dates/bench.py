"""Speed and memory numbers for tf1_dates, one `key=value` per line.

    python -m tf1_dates.bench [--weights DIR] [--threads 2]
    python -m tf1_dates.bench --rss-lines 1000000 --threads 1            # + predict.py's peak memory
    python -m tf1_dates.bench --rss-lines 1000000 --threads 1 --predict-script OLD/tf1_dates/predict.py

predict_lines_per_second: sampling 6,804 combinations x 5 with the weights (model load and graph build
excluded; best of 3 passes). train_steps_per_second: the training step of the same network.
With `--rss-lines N`: `predict.py` runs as a child process on an N-line input (the example file's lines,
repeated) and its peak resident set size is printed; `--predict-script` measures another copy of
predict.py the same way (e.g. a checkout of an older commit, for a before/after comparison).
The 1-minute load average is printed too: the machine is shared, so the numbers depend on it.
"""
import os
import resource
import subprocess
import sys
import tempfile
import time

import tensorflow as tf

from common import cli, config, training
from tf1_dates import calendar_facts, data, datagen, generator, model, predict, sampling, tokenizer

PREDICT_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "predict.py")
SCHEMA = config.Schema([
    config.Key("weights", sampling.WEIGHTS_DIR, "a weights dir or a training run dir"),
    config.threads(),
    config.Key("train_steps", 100, "steps timed for training speed", ge=1),
    config.Key("rss_lines", 0, "also measure predict.py's peak memory on an input of this many lines (0 = skip)",
               ge=0),
    config.Key("predict_script", PREDICT_SCRIPT, "the predict.py whose memory --rss-lines measures"),
])


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
    hp = dict(generator.load_hparams(weights))
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


def predict_peak_rss(script: str, weights: str, threads: int, num_lines: int):
    """Runs `script -i <num_lines lines> -o OUT` as a child; returns (peak RSS in MB, seconds, exit code)."""
    example = datagen.example_lines(datagen.data_lines())
    with tempfile.TemporaryDirectory(prefix="dates-rss-") as tmp:
        source, out = os.path.join(tmp, "in.txt"), os.path.join(tmp, "out.txt")
        with open(source, "w", encoding="utf-8") as handle:
            for i in range(num_lines):
                handle.write(example[i % len(example)] + "\n")
        start = time.time()
        proc = subprocess.run([sys.executable, script, "-i", source, "-o", out, "--weights", weights,
                               "--threads", str(threads)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              universal_newlines=True)
        seconds = time.time() - start
        if proc.returncode:
            sys.stderr.write(proc.stderr)
    # ru_maxrss of the children waited for so far: this process started no other child (Linux: kB).
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0, seconds, proc.returncode


@cli.entry_point
def main(argv=None):
    cfg = SCHEMA.parse(argv, description=__doc__.split("\n\n")[0])
    generator.find_weights(cfg.weights)  # a clear error before anything is timed
    print("dates_load_average_1min=%.2f" % os.getloadavg()[0])
    print("dates_threads=%d" % cfg.threads)
    if cfg.rss_lines:
        rss, seconds, code = predict_peak_rss(cfg.predict_script, cfg.weights, cfg.threads, cfg.rss_lines)
        print("dates_predict_script=%s" % cfg.predict_script)
        print("dates_predict_rss_lines=%d" % cfg.rss_lines)
        print("dates_predict_peak_rss_mb=%.0f" % rss)
        print("dates_predict_rss_run_seconds=%.1f" % seconds)
        print("dates_predict_rss_exit_code=%d" % code)
    print("dates_predict_lines_per_second=%.0f" % bench_predict(cfg.weights, cfg.threads))
    print("dates_train_steps_per_second=%.1f" % bench_train(cfg.weights, cfg.threads, cfg.train_steps))
    print("dates_load_average_1min_after=%.2f" % os.getloadavg()[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
