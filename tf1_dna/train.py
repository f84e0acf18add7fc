"""Trains the DNA -> protein Conv1d network as the handout's pseudo-code (seed 004, 4d).

    Do 1000 epochs:
        for all nucleotide and protein sequence pairs:
            clear gradients, predict, binary cross-entropy, backward, apply gradients
        print loss over the three sequences

    python -m tf1_dna.train [--run-dir DIR] [--fasta FILE] [--epochs N] [--log-every 1]

TF1 has no gradients to clear: each `session.run(train_op)` computes fresh ones. The run is resumable
(re-run the same command), and ends by measuring codon accuracy in inference mode on the training
sequences and on fresh random ORFs built only from codons seen in training.
"""
import os
import sys
import time

import numpy as np
import tensorflow as tf

from common import cli, config, plots, run, training
from tf1_dna import data, model

TASK = "tf1_dna"
DEFAULT_FASTA = "tf1_dna/data/w5.fasta"  # repo-relative (common.files.repo_path), so saved configs stay valid
SCHEMA = config.Schema([
    config.Key("fasta", DEFAULT_FASTA, "FASTA of '<name> DNA' / '<name> PROTEIN' pairs"),
    config.epochs(1000, "epochs (one optimizer step per sequence pair per epoch)"),
    config.hidden(32, "channels H of the two hidden Conv1d layers"),
    config.Key("activation", "relu", "activation after each batch norm", choices=sorted(model.ACTIVATIONS)),
    config.Key("optimizer", "adam", "optimizer", choices=sorted(model.OPTIMIZERS)),
    config.lr(0.01),
    config.seed(0, "seed of the weight initialisation and of the fresh evaluation ORFs"),
    config.threads(),
    config.log_every(100, "print the loss over all sequences every N epochs (1 = the handout's literal loop)"),
    config.ckpt_every(250, "epochs between checkpoints (one is also written at the end and on a stop)"),
    config.Key("eval_orfs", 100, "fresh random ORFs for the generalisation check", ge=1),
    config.Key("eval_orf_codons", 300, "codons per fresh ORF", ge=1),
    config.run_dir("output directory (default runs/tf1_dna/default); rerunning the same command resumes"),
    config.session_steps("stop with a checkpoint after this many epochs in this invocation (0 = run to the end)"),
    config.restart(),
])


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
        raise data.FastaError("training data has no ATG or no stop codon: cannot build fresh ORFs")
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


def train(cfg, log=print):
    """Builds the graph, trains (resuming if the run dir has a checkpoint), evaluates, writes metrics.

    Returns:
      The metrics dict also written to `metrics.json`, or None when the run was stopped (it resumes).
    """
    pairs = data.read_pairs(cfg.fasta)  # bad data fails before anything is written
    code = learned_code(pairs)
    feeds = [(data.dna_one_hot(p.dna), data.protein_one_hot(p.protein)) for p in pairs]
    run_dir = cfg.run_dir or run.default_run_dir(TASK, "default")
    with run.Run(cfg, run_dir, restart=cfg.restart, log=log) as r:
        graph = tf.Graph()
        with graph.as_default():
            training.seed_everything(cfg.seed)
            net = model.build_train_graph(cfg.hidden, cfg.lr, cfg.activation, cfg.optimizer)
            r.make_checkpointer()
            n_params = int(sum(v.shape.num_elements() for v in tf.trainable_variables()))
        graph.finalize()
        log("network: Conv1d(4->%d, k3, s3)-BN-%s-Conv1d(%d->%d, 1)-BN-%s-Conv1d(%d->21, 1)-softmax, "
            "%d trainable parameters; %d pairs from %s"
            % (cfg.hidden, cfg.activation, cfg.hidden, cfg.hidden, cfg.activation, cfg.hidden, n_params,
               len(pairs), cfg.fasta))
        load_start = os.getloadavg()[0]
        with tf.Session(graph=graph, config=training.session_config(cfg.threads)) as sess:
            start = r.restore_or_initialize(sess, net.init_op)
            r.open_writer(graph)
            t0, done = time.time(), 0
            for epoch in r.steps(sess, start, cfg.epochs, cfg.ckpt_every, desc="epochs"):
                losses = []
                for dna, protein in feeds:  # one optimizer step per pair, as the pseudo-code
                    loss, _ = sess.run([net.loss, net.train_op], {net.dna: dna, net.protein: protein})
                    losses.append(loss)
                sess.run(net.increment_epoch)
                r.log(epoch, {"loss/train": float(np.mean(losses))})
                done += 1
                if epoch % cfg.log_every == 0 or epoch == cfg.epochs:
                    log("epoch %4d/%d  loss over the %d sequences: mean %.3e  (%s)"
                        % (epoch, cfg.epochs, len(pairs), np.mean(losses), ", ".join("%.2e" % l for l in losses)))
            seconds = time.time() - t0
            if done:
                log("trained %d epochs (%d steps) in %.2f s = %.1f epochs/s on %d threads "
                    "(1-min load average %.2f at start, %.2f at end, %d CPUs)"
                    % (done, done * len(pairs), seconds, done / max(seconds, 1e-9), cfg.threads, load_start,
                       os.getloadavg()[0], os.cpu_count()))
            if r.stopped:
                return None
            train_acc, per_pair = mean_accuracy(sess, net.dna, net.eval_probs, pairs)
            batch_acc, _ = mean_accuracy(sess, net.dna, net.probs, pairs)
            orfs = fresh_orfs(code, cfg.eval_orfs, cfg.eval_orf_codons, cfg.seed)
            fresh_acc, _ = mean_accuracy(sess, net.dna, net.eval_probs, orfs)

        log("codon accuracy, inference mode: training sequences %.4f (%s); %d fresh ORFs of %d codons "
            "from seen codons %.4f" % (train_acc, ", ".join("%.4f" % a for a in per_pair), cfg.eval_orfs,
                                       cfg.eval_orf_codons, fresh_acc))
        epochs, train_losses = r.history.series("loss/train")
        if epochs:
            plots.save_curves(r.paths.path("loss.png"), {"train": (epochs, train_losses)},
                              title="BCE loss, mean over the %d training sequences" % len(pairs),
                              xlabel="epoch", ylabel="BCE", logy=True)
        metrics = {
            "epochs": cfg.epochs,
            "final_loss": train_losses[-1] if train_losses else None,
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
        r.finish(metrics)
    log("outputs in %s (metrics.json, loss.png, checkpoints/, TensorBoard events)" % run_dir)
    return metrics


@cli.entry_point
def main(argv=None):
    cfg = SCHEMA.parse(argv, description=__doc__.split("\n\n")[0])
    return cli.done_or_stopped(train(cfg))


if __name__ == "__main__":
    sys.exit(main())
