"""The QM9 training and inference graph for the PropertyPredictor, built once, and its evaluation.

Batches are fed (positions, one-hot atom types, mask, standardised target), each cut to its largest
molecule (see `qm9_data.SizeBatches`); the particle axis is dynamic, so one graph serves every batch size n.
"""
import collections

import numpy as np
import tensorflow as tf

from common import training
from tf1_molecules import model, qm9, qm9_data

Graph = collections.namedtuple(
    "Graph", "graph, global_step, positions, features, mask, target, prediction, loss, train_op, lr, init_op, "
             "num_parameters")


def build_predictor(width=64, num_blocks=3, hidden_units=model.HIDDEN_UNITS, expansion="gaussian", cutoff=6.0,
                    num_centres=64, table_size=1024, shifted=True):
    """The PropertyPredictor configured for QM9 molecules (F = 5 one-hot element features, N <= 29)."""
    return model.PropertyPredictor(qm9.MAX_ATOMS, len(qm9.ELEMENTS), 1, width=width, num_blocks=num_blocks,
                                   hidden_units=hidden_units, expansion=expansion, cutoff=cutoff,
                                   num_centres=num_centres, table_size=table_size, shifted=shifted)


def predictor_args(cfg):
    """The `build_predictor` arguments of a QM9 run's config (qm9_task.SCHEMA)."""
    return dict(width=cfg.width, num_blocks=cfg.num_blocks, hidden_units=cfg.hidden,
                expansion=None if cfg.expansion == "none" else cfg.expansion, cutoff=cfg.cutoff or None,
                num_centres=cfg.num_centres, table_size=cfg.table_size or None, shifted=cfg.shifted_softplus)


def learning_rate(lr, global_step, steps, warmup_steps=0, lr_floor=0.05):
    """lr warmed up linearly over the first `warmup_steps` steps (from lr / warmup_steps), then cosine-decayed
    to lr_floor * lr at `steps` (the decay counts from step 0, so warm-up and decay overlap)."""
    lr_t = tf.train.cosine_decay(lr, global_step, steps, alpha=lr_floor)
    if warmup_steps:
        ramp = tf.minimum(1.0, tf.cast(global_step + 1, tf.float32) / float(warmup_steps))
        lr_t = lr_t * ramp
    return lr_t


def build_graph(seed, steps, lr, loss="mse", warmup_steps=0, lr_floor=0.05, **predictor_args):
    """Builds the graph once (the caller adds a checkpointer if it wants one, then finalizes it).

    Args:
      seed: graph-level seed (initialisation).
      steps: total training steps (the cosine learning-rate decay ends there).
      lr: peak Adam learning rate.
      warmup_steps, lr_floor: the schedule (`learning_rate`).
      loss: "mse" or "mae" on the standardised target.
      predictor_args: passed to `build_predictor`.

    Returns:
      Graph. Feed positions (B, n, 3), features (B, n, 5), mask (B, n) and, for training, target (B,).
    """
    if loss not in ("mse", "mae"):
        raise ValueError("loss must be 'mse' or 'mae', got %r" % (loss,))
    graph = tf.Graph()
    with graph.as_default():
        training.seed_everything(seed)
        global_step = tf.train.get_or_create_global_step()
        predictor = build_predictor(**predictor_args)
        with tf.name_scope("input"):
            positions = tf.placeholder(tf.float32, [None, None, 3], name="positions")
            features = tf.placeholder(tf.float32, [None, None, len(qm9.ELEMENTS)], name="features")
            mask = tf.placeholder(tf.float32, [None, None], name="mask")
            target = tf.placeholder(tf.float32, [None], name="target_standardised")
        prediction = predictor(positions, features, mask)[:, 0]          # (B,) standardised units
        with tf.name_scope("loss"):
            err = prediction - target
            loss_t = tf.reduce_mean(tf.square(err)) if loss == "mse" else tf.reduce_mean(tf.abs(err))
        lr_t = learning_rate(lr, global_step, steps, warmup_steps, lr_floor)
        train_op = tf.train.AdamOptimizer(lr_t).minimize(loss_t, global_step=global_step,
                                                         var_list=predictor.trainable_variables)
        init_op = tf.global_variables_initializer()
        num_parameters = int(sum(np.prod(v.shape.as_list()) for v in predictor.trainable_variables))
    return Graph(graph, global_step, positions, features, mask, target, prediction, loss_t, train_op, lr_t,
                 init_op, num_parameters)


def feed(g, molecules, idx, target=None):
    """The feed dict of molecules `idx` (target: their standardised values, for training)."""
    r, f, m = qm9_data.batch_arrays(molecules, idx)
    out = {g.positions: r, g.features: f, g.mask: m}
    if target is not None:
        out[g.target] = target[idx]
    return out


def predict(sess, g, molecules, batch_size=256):
    """Standardised predictions for every molecule of `molecules`, (M,) float64, in their order."""
    out = np.empty(len(molecules.num_atoms))
    for idx in qm9_data.eval_batches(molecules.num_atoms, batch_size):
        out[idx] = sess.run(g.prediction, feed(g, molecules, idx))
    return out


Inference = collections.namedtuple("Inference", "positions, features, mask, prediction")


def build_inference(cfg):
    """The predictor of a QM9 run's config `cfg` in the current graph, for restoring its weights (no optimiser).

    Its variables are also in the collection "predictor_variables" (what a weights folder holds).
    """
    predictor = build_predictor(**predictor_args(cfg))
    positions = tf.placeholder(tf.float32, [None, None, 3], name="positions")
    features = tf.placeholder(tf.float32, [None, None, len(qm9.ELEMENTS)], name="features")
    mask = tf.placeholder(tf.float32, [None, None], name="mask")
    prediction = predictor(positions, features, mask)[:, 0]
    for v in predictor.variables:
        tf.add_to_collection("predictor_variables", v)
    return Inference(positions, features, mask, prediction)
