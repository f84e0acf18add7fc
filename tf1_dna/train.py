"""Trains the DNA -> protein Conv1d network as the handout's pseudo-code (seed 004, 4d).

    Do 1000 epochs:
        for all nucleotide and protein sequence pairs:
            clear gradients, predict, binary cross-entropy, backward, apply gradients
        print loss over the three sequences

    python -m tf1_dna.train [--run-dir DIR] [--fasta FILE] [--epochs N] [--print-every 1]

TF1 has no gradients to clear: each `session.run(train_op)` computes fresh ones. The run is resumable
(re-run the same command), and ends by measuring codon accuracy in inference mode on the training
sequences and on fresh random ORFs built only from codons seen in training.
"""
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import logging  # pylint: disable=wrong-import-position

import numpy as np  # pylint: disable=wrong-import-position
import tensorflow as tf  # pylint: disable=wrong-import-position

from common import config, files, plots, training  # pylint: disable=wrong-import-position
from tf1_dna import data, model  # pylint: disable=wrong-import-position

TASK = "tf1_dna"
DEFAULT_FASTA = "tf1_dna/data/w5.fasta"  # repo-relative (common.files.repo_path), so saved configs stay valid
DEFAULTS = {
    "fasta": DEFAULT_FASTA,
    "epochs": 1000,
    "hidden": 32,
    "activation": "relu",
    "optimizer": "adam",
    "lr": 0.01,
    "seed": 0,
    "threads": 2,
    "print_every": 100,
    "ckpt_every": 250,
    "eval_orfs": 100,
    "eval_orf_codons": 300,
}
HELP = {
    "fasta": "FASTA of '<name> DNA' / '<name> PROTEIN' pairs",
    "epochs": "epochs (one step per sequence pair per epoch)",
    "hidden": "channels H of the two hidden Conv1d layers",
    "activation": "activation after each BN: " + ", ".join(sorted(model.ACTIVATIONS)),
    "optimizer": ", ".join(sorted(model.OPTIMIZERS)),
    "lr": "learning rate",
    "seed": "seed of the weight initialisation and of the fresh evaluation ORFs",
    "threads": "TF intra/inter-op threads",
    "print_every": "print the loss over all sequences every N epochs (1 = the handout's literal loop)",
    "ckpt_every": "checkpoint every N epochs (and at the end / on Ctrl-C)",
    "eval_orfs": "fresh random ORFs for the generalisation check",
    "eval_orf_codons": "codons per fresh ORF",
}


def learned_code(pairs):
    """codon -> amino acid as the training pairs show it; raises FastaError on a contradiction."""
    code = {}
    for pair in pairs:
        for codon, amino in zip(data.split_codons(pair.dna), pair.protein):
            if code.setdefault(codon, amino) != amino:
                raise data.FastaError("record %r: codon %s means %s here but %s elsewhere"
                                      % (pair.name, codon, amino, code[codon]))
    return code


def fresh_orfs(code, count, n_codons, seed):
    """Random ORFs that use only codons of `code` (seen in training), with their proteins under `code`."""
    rng = np.random.RandomState(seed + 1000003)  # not the init seed's stream
    sense = sorted(c for c, a in code.items() if a != "*" and c != "ATG") + (["ATG"] if "ATG" in code else [])
    stops = sorted(c for c, a in code.items() if a == "*")
    if "ATG" not in code or not stops:
        raise ValueError("training data has no ATG or no stop codon: cannot build fresh ORFs")
    orfs = []
    for i in range(count):
        dna = data.random_orf(rng, n_codons, sense, stops)
        orfs.append(data.SeqPair("fresh %d" % (i + 1), dna, "".join(code[c] for c in data.split_codons(dna))))
    return orfs


def predict(sess, dna_ph, probs, dna):
    """Protein string predicted for one DNA string (whatever mode `probs` was built in)."""
    return data.probs_to_protein(sess.run(probs, {dna_ph: data.dna_one_hot(dna)}))


def mean_accuracy(sess, dna_ph, probs, pairs):
    """Codon accuracy pooled over all codons of `pairs`, and the per-pair list."""
    per_pair = [data.codon_accuracy(predict(sess, dna_ph, probs, p.dna), p.protein) for p in pairs]
    codons = np.array([len(p.protein) for p in pairs], dtype=np.float64)
    return float(np.dot(per_pair, codons) / codons.sum()), per_pair


def _load_history(path, upto):
    if upto == 0 or not os.path.exists(path):
        return {"epoch": [], "loss": []}
    hist = files.read_json(path)
    keep = [i for i, e in enumerate(hist["epoch"]) if e <= upto]
    return {"epoch": [hist["epoch"][i] for i in keep], "loss": [hist["loss"][i] for i in keep]}


def train(cfg, run_dir, log=print):
    """Builds the graph, trains (resuming if `run_dir` has a checkpoint), evaluates, writes metrics.

    Returns:
      The metrics dict also written to `run_dir/metrics.json`.
    """
    pairs = data.read_pairs(cfg.fasta)
    code = learned_code(pairs)
    feeds = [(data.dna_one_hot(p.dna), data.protein_one_hot(p.protein)) for p in pairs]
    paths = training.RunPaths(run_dir)
    config.save(cfg, run_dir)

    graph = tf.Graph()
    with graph.as_default():
        training.seed_everything(cfg.seed)
        net = model.build_train_graph(cfg.hidden, cfg.lr, cfg.activation, cfg.optimizer)
        ckpt = training.Checkpointer(paths.checkpoints)
        n_params = int(sum(v.shape.num_elements() for v in tf.trainable_variables()))
    graph.finalize()
    log("network: Conv1d(4->%d, k3, s3)-BN-%s-Conv1d(%d->%d, 1)-BN-%s-Conv1d(%d->21, 1)-softmax, "
        "%d trainable parameters; %d pairs from %s"
        % (cfg.hidden, cfg.activation, cfg.hidden, cfg.hidden, cfg.activation, cfg.hidden, n_params,
           len(pairs), cfg.fasta))

    history_path = paths.path("history.json")
    load_start = os.getloadavg()[0]
    with tf.Session(graph=graph, config=training.session_config(cfg.threads)) as sess:
        start = ckpt.restore_or_initialize(sess, net.init_op)
        if start:
            log("resumed from %s at epoch %d" % (ckpt.latest(), start))
        history = _load_history(history_path, start)
        writer = training.summary_writer(paths.root, graph if start == 0 else None)
        epoch, t0 = start, time.time()
        with training.GracefulStop() as stop:
            for epoch in training.progress(range(start + 1, cfg.epochs + 1), desc="epochs", initial=start,
                                           total=cfg.epochs):
                losses = []
                for dna, protein in feeds:  # one optimizer step per pair, as the pseudo-code
                    loss, _ = sess.run([net.loss, net.train_op], {net.dna: dna, net.protein: protein})
                    losses.append(loss)
                sess.run(net.increment_epoch)
                mean_loss = float(np.mean(losses))
                history["epoch"].append(epoch)
                history["loss"].append(mean_loss)
                training.add_scalars(writer, epoch, {"loss/train": mean_loss})
                if epoch % cfg.print_every == 0 or epoch == cfg.epochs:
                    log("epoch %4d/%d  loss over the %d sequences: mean %.3e  (%s)"
                        % (epoch, cfg.epochs, len(pairs), mean_loss, ", ".join("%.2e" % l for l in losses)))
                if stop.requested or epoch % cfg.ckpt_every == 0 or epoch == cfg.epochs:
                    ckpt.save(sess, epoch)
                    files.write_json(history_path, history)
                if stop.requested:
                    log("stopped at epoch %d; re-run the same command to resume" % epoch)
                    break
        seconds = time.time() - t0
        done = epoch - start
        if done:
            log("trained %d epochs (%d steps) in %.2f s = %.1f epochs/s on %d threads "
                "(1-min load average %.2f at start, %.2f at end, %d CPUs)"
                % (done, done * len(pairs), seconds, done / max(seconds, 1e-9), cfg.threads, load_start,
                   os.getloadavg()[0], os.cpu_count()))
        train_acc, per_pair = mean_accuracy(sess, net.dna, net.eval_probs, pairs)
        batch_acc, _ = mean_accuracy(sess, net.dna, net.probs, pairs)
        orfs = fresh_orfs(code, cfg.eval_orfs, cfg.eval_orf_codons, cfg.seed)
        fresh_acc, _ = mean_accuracy(sess, net.dna, net.eval_probs, orfs)
        writer.close()

    log("codon accuracy, inference mode: training sequences %.4f (%s); %d fresh ORFs of %d codons "
        "from seen codons %.4f" % (train_acc, ", ".join("%.4f" % a for a in per_pair), cfg.eval_orfs,
                                   cfg.eval_orf_codons, fresh_acc))
    if history["epoch"]:
        plots.save_curves(paths.path("loss.png"), {"train": (history["epoch"], history["loss"])},
                          title="BCE loss, mean over the %d training sequences" % len(pairs),
                          xlabel="epoch", ylabel="BCE", logy=True)
    metrics = {
        "epochs": int(epoch),
        "final_loss": history["loss"][-1] if history["loss"] else None,
        "train_codon_accuracy": train_acc,
        "train_codon_accuracy_per_sequence": per_pair,
        "train_codon_accuracy_batch_stats": batch_acc,
        "fresh_orf_codon_accuracy": fresh_acc,
        "fresh_orfs": cfg.eval_orfs,
        "fresh_orf_codons": cfg.eval_orf_codons,
        "trainable_parameters": n_params,
        "seen_codons": len(code),
        "unseen_codons": sorted(set(data.CODONS) - set(code)),
        "train_seconds_this_invocation": seconds,
        "epochs_this_invocation": done,
        "epochs_per_second": done / max(seconds, 1e-9) if done else None,
        "threads": cfg.threads,
        "load_avg_1min_at_start": load_start,
    }
    files.write_json(paths.metrics, metrics)
    log("outputs in %s (metrics.json, loss.png, checkpoints/, TensorBoard events)" % run_dir)
    return metrics


def main(argv=None):
    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # TF 1.15's deprecation notices
    parser = config.make_parser(DEFAULTS, __doc__.split("\n\n")[0], HELP)
    parser.add_argument("--run-dir", default=training.default_run_dir(TASK, "default"),
                        help="run directory (resumes if it holds a checkpoint)")
    args = parser.parse_args(argv)
    try:
        cfg = config.from_namespace(DEFAULTS, args)
        if cfg.activation not in model.ACTIVATIONS:
            raise config.ConfigError("unknown activation %r (known: %s)"
                                     % (cfg.activation, ", ".join(sorted(model.ACTIVATIONS))))
        if cfg.optimizer not in model.OPTIMIZERS:
            raise config.ConfigError("unknown optimizer %r (known: %s)"
                                     % (cfg.optimizer, ", ".join(sorted(model.OPTIMIZERS))))
        if min(cfg.epochs, cfg.hidden, cfg.print_every, cfg.ckpt_every) < 1:
            raise config.ConfigError("epochs, hidden, print_every and ckpt_every must be >= 1")
        train(cfg, args.run_dir)
    except (config.ConfigError, data.FastaError, ValueError) as err:
        sys.stderr.write("error: %s\n" % err)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
