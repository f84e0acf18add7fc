"""Speed numbers: `python -m tf1_molecules.bench [--dataset qm9]` prints one key=value per line.

Synthetic (default): the default PropertyPredictor (N=8, F=2, width 32, 2 blocks) on CPU, training steps
per second at batch 64 and inference systems per second at batch 1000, after warm-up runs.

QM9 (`--dataset qm9`, needs `make qm9`): the QM9 configuration (the defaults of `tf1_molecules.qm9_train`
unless flags change them) on real training batches: training molecules/s and inference molecules/s, with batches of
similar size (`qm9_data.SizeBatches`, the training default) and, to show what that saves, with random batches.

Time to accuracy (`--to-accuracy [--run-dir DIR]`): trains the QM9 recipe (`tf1_molecules/configs/qm9_u0.yaml`, all
110,000 training molecules, about 2 CPU hours on one thread; a finished run is not repeated, an interrupted one
resumes) and prints the CPU seconds until its validation MAE first reached 3, 2, 1.5 and 1 kcal/mol.
"""
import argparse
import os
import sys
import time

import numpy as np
import tensorflow as tf

from common import cli, config, training
from tf1_molecules import data, model, qm9, qm9_data, qm9_graph, qm9_task


def _time(sess, fetch, feed, repeats):
    for _ in range(3):  # warm-up: first runs pay for graph optimisation and allocation
        sess.run(fetch, feed)
    start = time.time()
    for _ in range(repeats):
        sess.run(fetch, feed)
    return (time.time() - start) / repeats


def bench(threads=2, repeats=50, train_batch=64, infer_batch=1000, num_particles=8):
    """Returns a dict of speed numbers (seconds are wall clock on this machine)."""
    systems = data.generate(max(train_batch, infer_batch), num_particles=num_particles, seed=0)
    graph = tf.Graph()
    with graph.as_default():
        training.seed_everything(0)
        predictor = model.PropertyPredictor(num_particles, 2, 1)
        r = tf.placeholder(tf.float32, [None, num_particles, 3])
        f = tf.placeholder(tf.float32, [None, num_particles, 2])
        y = tf.placeholder(tf.float32, [None])
        out = predictor(r, f)[:, 0]
        loss = tf.reduce_mean(tf.square(out - y))
        train_op = tf.train.AdamOptimizer(1e-3).minimize(loss)
        init = tf.global_variables_initializer()
    graph.finalize()
    with tf.Session(graph=graph, config=training.session_config(threads)) as sess:
        sess.run(init)
        tb = {r: systems.positions[:train_batch], f: systems.features[:train_batch],
              y: systems.energy[:train_batch]}
        ib = {r: systems.positions[:infer_batch], f: systems.features[:infer_batch]}
        step_s = _time(sess, train_op, tb, repeats)
        infer_s = _time(sess, out, ib, max(5, repeats // 10))
    params = int(sum(np.prod(v.shape.as_list()) for v in graph.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES)))
    return {"threads": threads, "parameters": params,
            "train_steps_per_sec_batch%d" % train_batch: 1.0 / step_s,
            "train_ms_per_step_batch%d" % train_batch: 1000.0 * step_s,
            "inference_systems_per_sec_batch%d" % infer_batch: infer_batch / infer_s}


def _profile(sess, g, feeds):
    """Milliseconds per training step by TF op type (from full traces of a few sorted-batch steps)."""
    import collections
    total = collections.Counter()
    for fd in feeds:
        meta = tf.RunMetadata()
        sess.run(g.train_op, fd, options=tf.RunOptions(trace_level=tf.RunOptions.FULL_TRACE), run_metadata=meta)
        for dev in meta.step_stats.dev_stats:
            if "/device:CPU" not in dev.device:  # the same ops are listed again under /host:CPU
                continue
            for node in dev.node_stats:
                label = node.timeline_label
                kind = label.split(" = ")[1].split("(")[0] if " = " in label else node.node_name
                total[kind] += node.all_end_rel_micros
    return collections.OrderedDict(("profile_ms_per_step_%s" % k, v / 1000.0 / len(feeds))
                                   for k, v in total.most_common(8))


def bench_qm9(threads=2, steps=60, train_batch=32, infer_batch=256, data_path=None, random_batches=True,
              profile=False, **predictor_args):
    """Training and inference molecules/s on QM9 batches (wall clock, after warm-up steps)."""
    molecules = qm9.load(data_path or qm9.DEFAULT_PATH)
    y = qm9_data.target_values(molecules, "u0_atomization")
    split = qm9_data.split_indices(len(y))
    train = qm9_data.subset(molecules, split.train)
    target = qm9_data.Standardiser("dressed", train, y[split.train]).forward(train, y[split.train])
    g = qm9_graph.build_graph(0, 1000, 5e-4, **predictor_args)
    g.graph.finalize()
    out = {"threads": threads, "parameters": g.num_parameters, "train_batch": train_batch,
           "infer_batch": infer_batch}
    with tf.Session(graph=g.graph, config=training.session_config(threads)) as sess:
        sess.run(g.init_op)
        kinds = [("sorted", qm9_data.SizeBatches(train.num_atoms, train_batch, 0))]
        if random_batches:
            rng = np.random.RandomState(0)
            kinds.append(("random", lambda step: rng.choice(len(train.num_atoms), train_batch, replace=False)))
        for kind, batches in kinds:
            feeds = [qm9_graph.feed(g, train, batches(s), target) for s in range(steps + 5)]
            for fd in feeds[:5]:  # warm-up
                sess.run(g.train_op, fd)
            start, cpu_start = time.time(), time.process_time()
            for fd in feeds[5:]:
                sess.run(g.train_op, fd)
            seconds, cpu = time.time() - start, time.process_time() - cpu_start
            out["train_molecules_per_sec_%s_batches" % kind] = steps * train_batch / seconds
            # CPU time of this process: with 1 thread, what the step costs however busy the machine is.
            out["train_molecules_per_cpu_sec_%s_batches" % kind] = steps * train_batch / cpu
            out["train_ms_per_step_%s_batches" % kind] = 1000.0 * seconds / steps
            out["mean_padded_atoms_%s_batches" % kind] = float(np.mean([fd[g.mask].shape[1] for fd in feeds]))
        if profile:
            out.update(_profile(sess, g, feeds[5:15]))
        val = qm9_data.subset(molecules, split.val[:max(infer_batch * 8, 2048)])
        qm9_graph.predict(sess, g, qm9_data.subset(val, np.arange(infer_batch)), infer_batch)  # warm-up
        start, cpu_start = time.time(), time.process_time()
        qm9_graph.predict(sess, g, val, infer_batch)
        out["inference_molecules_per_sec"] = len(val.num_atoms) / (time.time() - start)
        out["inference_molecules_per_cpu_sec"] = len(val.num_atoms) / (time.process_time() - cpu_start)
    out["load_average_1min"] = os.getloadavg()[0]
    return out


@cli.entry_point
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--to-accuracy", action="store_true",
                        help="train the QM9 recipe (or read its finished run) and print CPU seconds to 3, 2, 1.5 "
                             "and 1 kcal/mol validation MAE")
    parser.add_argument("--run-dir", default=os.path.join("runs", "tf1_molecules", "qm9_u0_recipe"),
                        help="--to-accuracy: the recipe's run dir (default runs/tf1_molecules/qm9_u0_recipe)")
    parser.add_argument("--dataset", choices=("synthetic", "qm9"), default="synthetic",
                        help="synthetic point clouds (default) or QM9 molecules")
    parser.add_argument("--threads", type=config.at_least(0), default=2, help="TF intra/inter-op threads (default 2)")
    parser.add_argument("--repeats", type=config.at_least(1), default=50, help="timed training steps (default 50)")
    qm9_default = {name: key.default for name, key in qm9_task.SCHEMA.keys.items()}  # the trainer's defaults
    parser.add_argument("--batch-size", type=config.at_least(1), default=qm9_default["batch_size"],
                        help="QM9 training batch (default %d)" % qm9_default["batch_size"])
    parser.add_argument("--width", type=config.at_least(1), default=qm9_default["width"],
                        help="QM9: feature width (default %d)" % qm9_default["width"])
    parser.add_argument("--num-blocks", type=config.at_least(1), default=qm9_default["num_blocks"],
                        help="QM9: message passing blocks (default %d)" % qm9_default["num_blocks"])
    parser.add_argument("--expansion", choices=("gaussian", "none"), default=qm9_default["expansion"],
                        help="QM9: phi's input (default %s)" % qm9_default["expansion"])
    parser.add_argument("--profile", action="store_true", help="QM9: also print ms per step by TF op type")
    parser.add_argument("--no-shift", action="store_true", help="QM9: plain softplus instead of the shifted one")
    parser.add_argument("--table-size", type=config.at_least(0), default=qm9_default["table_size"],
                        help="QM9: phi tabulated at this many distances (0: phi on every pair; default %d)"
                        % qm9_default["table_size"])
    args = parser.parse_args(argv)
    if args.to_accuracy:
        from tf1_molecules import qm9_study  # noqa: WPS433
        qm9_study.run_all(1, [("recipe", qm9_study.recipe_command(args.run_dir), args.run_dir)])
        print(qm9_study.accuracy_text(args.run_dir))
        return 0
    if args.dataset == "qm9":
        numbers = bench_qm9(args.threads, args.repeats, args.batch_size, profile=args.profile,
                            shifted=qm9_default["shifted_softplus"] and not args.no_shift, width=args.width,
                            num_blocks=args.num_blocks, table_size=args.table_size or None,
                            hidden_units=qm9_default["hidden"], cutoff=qm9_default["cutoff"],
                            num_centres=qm9_default["num_centres"],
                            expansion=None if args.expansion == "none" else args.expansion)
    else:
        numbers = bench(args.threads, args.repeats)
    for key, value in numbers.items():
        print("%s=%s" % (key, "%.1f" % value if isinstance(value, float) else value))
    return 0


if __name__ == "__main__":
    sys.exit(main())
