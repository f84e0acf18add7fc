"""tf1_dna: DNA -> protein with a stride-3 Conv1d network (seed 004, question 4), trained as the handout's
pseudo-code:

    Do 1000 epochs:
        for all nucleotide and protein sequence pairs:
            clear gradients, predict, binary cross-entropy, backward, apply gradients
        print loss over the three sequences

TF1 has no gradients to clear: each `session.run(train_op)` computes fresh ones. The run ends by measuring
codon accuracy in inference mode on the training sequences and on fresh random ORFs built only from codons
seen in training. `python -m tf1_dna.train` runs it (common.loop: resumable, stop -> 130, divergence -> 3).
"""
import collections
import math
import os

import numpy as np
import tensorflow as tf

from common import config, plots, task, training
from tf1_dna import data, model

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
    config.session_epochs(),
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



Graph = collections.namedtuple("Graph", "graph init_op net n_params")


class DnaTrainer(task.Trainer):
    """One optimizer step per sequence pair per epoch; a loop step is an epoch."""

    module = "tf1_dna.train"
    schema = SCHEMA
    description = "Trains the DNA -> protein Conv1d network as the handout's pseudo-code (seed 004, 4d)."
    step_unit = "epoch"
    smoke_args = ("--run-dir", "{tmp}/run", "--epochs", "2")
    resume_args = ("--epochs", "300", "--ckpt-every", "1", "--threads", "1", "--eval-orfs", "2")
    invariants = {"dna": ("-m", "tf1_dna.train", "--run-dir", "{run}", "--epochs", "20", "--threads", "1")}
    invariants_fast = ("dna",)
    loss_key = "loss/train"
    diverge_args = ("--epochs", "3", "--lr", "10", "--threads", "1")
    data_flag = "--fasta"
    bad_data = (
        ("empty", b"", "no FASTA records"),
        ("binary", b"\x00\xff\xfe\x00garbage", "is not UTF-8 text"),
        ("bom_only", b"\xef\xbb\xbf", "no FASTA records"),
        ("no_header", b"ATGTAA\n", "before the first '>' header"),
        ("bad_letter", b">s DNA\nATGXAA\n>s PROTEIN\nM*\n", "letter 'X'"),
        ("length", b">s DNA\nATGA\n>s PROTEIN\nM\n", "DNA length 4"),
    )

    def load(self, cfg):
        pairs = data.read_pairs(cfg.fasta)
        code = learned_code(pairs)
        feeds = [(data.dna_one_hot(p.dna), data.protein_one_hot(p.protein)) for p in pairs]
        return pairs, code, feeds

    def trivial_loss(self, cfg):
        # the handout's BCE over softmax outputs, every one 1/21: -ln(1/21) once and -ln(20/21) 20 times, per codon
        channels = model.OUT_CHANNELS
        return ((math.log(channels) + (channels - 1) * math.log(channels / (channels - 1))) / channels,
                "a network that gives each of the %d amino-acid classes probability 1/%d" % (channels, channels))

    def build(self, cfg, _):
        graph = tf.Graph()
        with graph.as_default():
            training.seed_everything(cfg.seed)
            net = model.build_train_graph(cfg.hidden, cfg.lr, cfg.activation, cfg.optimizer)
            n_params = int(sum(v.shape.num_elements() for v in tf.trainable_variables()))
        return Graph(graph, net.init_op, net, n_params)

    def total(self, cfg, g):
        return cfg.epochs

    def begin(self, ctx):
        cfg, pairs = ctx.cfg, ctx.data[0]
        ctx.log("network: Conv1d(4->%d, k3, s3)-BN-%s-Conv1d(%d->%d, 1)-BN-%s-Conv1d(%d->21, 1)-softmax, "
                "%d trainable parameters; %d pairs from %s"
                % (cfg.hidden, cfg.activation, cfg.hidden, cfg.hidden, cfg.activation, cfg.hidden,
                   ctx.g.n_params, len(pairs), cfg.fasta))
        ctx.state["load_start"] = os.getloadavg()[0]

    def step(self, ctx, epoch):
        net, cfg = ctx.g.net, ctx.cfg
        losses = []
        for dna, protein in ctx.data[2]:  # one optimizer step per pair, as the pseudo-code
            loss, _ = ctx.sess.run([net.loss, net.train_op], {net.dna: dna, net.protein: protein})
            losses.append(loss)
        ctx.sess.run(net.increment_epoch)
        scalars = {"loss/train": float(np.mean(losses))}
        ctx.run.log(epoch, scalars)
        if epoch % cfg.log_every == 0 or epoch == cfg.epochs:
            ctx.log("epoch %4d/%d  loss over the %d sequences: mean %.3e  (%s)"
                    % (epoch, cfg.epochs, len(losses), np.mean(losses), ", ".join("%.2e" % l for l in losses)))
        return scalars

    def end(self, ctx):
        if ctx.steps_run:
            ctx.log("trained %d epochs (%d steps) in %.2f s = %.1f epochs/s on %d thread(s) "
                    "(1-min load average %.2f at start, %.2f at end, %d CPUs)"
                    % (ctx.steps_run, ctx.steps_run * len(ctx.data[0]), ctx.seconds,
                       ctx.steps_run / max(ctx.seconds, 1e-9), ctx.cfg.threads, ctx.state["load_start"],
                       os.getloadavg()[0], os.cpu_count()))

    def evaluate(self, ctx):
        net, cfg, (pairs, code, _) = ctx.g.net, ctx.cfg, ctx.data
        train_acc, per_pair = mean_accuracy(ctx.sess, net.dna, net.eval_probs, pairs)
        batch_acc, _ = mean_accuracy(ctx.sess, net.dna, net.probs, pairs)
        orfs = fresh_orfs(code, cfg.eval_orfs, cfg.eval_orf_codons, cfg.seed)
        fresh_acc, _ = mean_accuracy(ctx.sess, net.dna, net.eval_probs, orfs)
        return train_acc, per_pair, batch_acc, fresh_acc

    def finish(self, ctx, result):
        cfg, (pairs, code, _) = ctx.cfg, ctx.data
        train_acc, per_pair, batch_acc, fresh_acc = result
        ctx.log("codon accuracy, inference mode: training sequences %.4f (%s); %d fresh ORFs of %d codons "
                "from seen codons %.4f" % (train_acc, ", ".join("%.4f" % a for a in per_pair), cfg.eval_orfs,
                                           cfg.eval_orf_codons, fresh_acc))
        epochs, train_losses = ctx.history.series("loss/train")
        if epochs:
            plots.save_curves(ctx.paths.path("loss.png"), {"train": (epochs, train_losses)},
                              title="BCE loss, mean over the %d training sequences" % len(pairs),
                              xlabel="epoch", ylabel="BCE", logy=True)
        done, seconds = ctx.steps_run, ctx.seconds
        return {
            "epochs": cfg.epochs,
            "final_loss": train_losses[-1] if train_losses else None,
            "train_codon_accuracy": train_acc,
            "train_codon_accuracy_per_sequence": per_pair,
            "train_codon_accuracy_batch_stats": batch_acc,
            "fresh_orf_codon_accuracy": fresh_acc,
            "fresh_orfs": cfg.eval_orfs,
            "fresh_orf_codons": cfg.eval_orf_codons,
            "trainable_parameters": ctx.g.n_params,
            "seen_codons": len(code),
            "unseen_codons": sorted(set(data.CODONS) - set(code)),
            "train_seconds_this_invocation": seconds,
            "epochs_this_invocation": done,
            "epochs_per_second": done / max(seconds, 1e-9) if done else None,
            "threads": cfg.threads,
            "load_avg_1min_at_start": ctx.state["load_start"],
        }

    def summary(self, metrics):
        return [("final BCE loss", metrics["final_loss"], ""),
                ("codon accuracy, training sequences", metrics["train_codon_accuracy"], ""),
                ("codon accuracy, %d fresh ORFs" % metrics["fresh_orfs"], metrics["fresh_orf_codon_accuracy"], ""),
                ("epochs this invocation", metrics["epochs_this_invocation"], ""),
                ("speed", metrics["epochs_per_second"], "epochs/s")]


TRAINER = DnaTrainer()


def train(cfg, log=print):
    """Trains (or resumes) the run of `cfg`; the metrics, or None when it stopped early (it resumes)."""
    from common import loop
    return loop.train(TRAINER, cfg, log=log)


TASK = task.Task(
    "tf1_dna", "DNA -> protein with a stride-3 Conv1d network", seeds=("004",), trainers=[TRAINER],
    deliverables=[task.Deliverable("tf1_dna", "tf1_dna/workshop_answers.pdf",
                                   "docs/deliverables/tf1_dna_workshop_answers.md", None, "004",
                                   "answers to workshop questions 1-3 and 4 (a-e), with the proline probe figure")],
    figure=("tf1_dna/figures/probe_proline.png", "predicted distributions of the four proline codons"),
    demo="tf1_dna.demo", bench="tf1_dna.bench",
    clis=("tf1_dna.translate", "tf1_dna.probe", "tf1_dna.unseen", "tf1_dna.make_data", "tf1_dna.shapes"),
    report_section="tf1_dna.report:section",
    handin=task.Handin("workshop", (("tf1_dna/workshop_answers.pdf", "workshop_answers_{name}.pdf"),)),
)
