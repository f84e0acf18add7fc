"""Speed of the DNA task: the default 1000-epoch training and inference throughput; one key=value a line.

    python -m tf1_dna.bench [--threads 2] [--epochs 1000]

The training is the real `tf1_dna.train` run (checkpoints and summaries included) in a temporary
directory. The CPU may be shared, so the 1-minute load average is printed next to the times.
"""
import os
import shutil
import sys
import tempfile
import time

import numpy as np

from common import cli, config
from tf1_dna import data, infer, train
from tf1_dna import task as dna_task

TARGET_SECONDS = 60.0  # the target for 1000 epochs on 2 cores


@cli.entry_point
def main(argv=None):
    parser = config.arg_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=2, help="TF threads")
    parser.add_argument("--epochs", type=int, default=1000, help="training epochs timed")
    parser.add_argument("--translate-codons", type=int, default=100000,
                        help="codons in the inference throughput test")
    args = parser.parse_args(argv)
    config.require(args.translate_codons >= 2, "'translate_codons' must be an integer >= 2 (a start and a stop "
                   "codon), got %d" % args.translate_codons)
    tmp = tempfile.mkdtemp(prefix="tf1_dna_bench_")
    try:
        cfg = train.SCHEMA.make(epochs=args.epochs, threads=args.threads, log_every=args.epochs, run_dir=tmp)
        load_before = os.getloadavg()[0]
        t0 = time.time()
        metrics = train.train(cfg, log=lambda _: None)
        wall = time.time() - t0
        pairs = data.read_pairs(cfg.fasta)
        steps = args.epochs * len(pairs)
        rng = np.random.RandomState(0)
        dna = data.random_orf(rng, args.translate_codons, sorted(dna_task.learned_code(pairs)))
        with infer.Translator(tmp, threads=args.threads) as translator:
            translator.translate(dna[:300])  # warm-up
            t1 = time.time()
            translator.translate(dna)
            infer_seconds = time.time() - t1
        lines = [
            ("dna_train_epochs", args.epochs),
            ("dna_train_threads", args.threads),
            ("dna_train_loop_seconds", "%.2f" % metrics["train_seconds_this_invocation"]),
            ("dna_train_command_wall_seconds", "%.2f" % wall),
            ("dna_train_epochs_per_second", "%.1f" % metrics["epochs_per_second"]),
            ("dna_train_steps_per_second", "%.1f" % (steps / metrics["train_seconds_this_invocation"])),
            ("dna_train_within_60s_target", metrics["train_seconds_this_invocation"] <= TARGET_SECONDS),
            ("dna_train_codon_accuracy", "%.4f" % metrics["train_codon_accuracy"]),
            ("dna_fresh_orf_codon_accuracy", "%.4f" % metrics["fresh_orf_codon_accuracy"]),
            ("dna_translate_codons_per_second", "%.0f" % (args.translate_codons / infer_seconds)),
            ("load_avg_1min_before", "%.2f" % load_before),
            ("load_avg_1min_after", "%.2f" % os.getloadavg()[0]),
            ("cpu_count", os.cpu_count()),
        ]
        for key, value in lines:
            print("%s=%s" % (key, value))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
