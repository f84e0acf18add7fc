"""The conditional date generator as TF1 static graphs.

p(date | conditions) = p(DY | c) * p(MONTH | c) * p(CENTURY | c) * p(DECADE | c), four softmax heads on
one trunk (see tokenizer.py for the tokens). The factorisation is exact for the true distribution:
given the conditions, month, century and decade digit are determined, and everything that is left
open -- day of month and last year digit -- lives in the one joint DY token.

Trunk: the six input ids as one-hots (77 dims) -> an MLP (2 x 768 ReLU in the final recipe).

Two optional branches are kept as switches because they were the obvious structured ideas; in short
exploratory runs both fitted the training combinations but generalised *worse* to held-out combinations
than the plain MLP, so the final recipe turns them off:
  * rank > 0: a multiplicative branch (x A) * (x B) * (x C), a rank-R trilinear form of the inputs.
    Motivation: a date is valid when (weekday - month offset - year offset) mod 7 picks its day, and the
    indicator of "a + b + c = k (mod 7)" is a rank-7 sum of products of functions of a, b and c (the
    discrete Fourier basis). (Multiplicative interactions: Jayakumar et al., ICLR 2020.)
  * periodic: a sine first layer, i.e. per-token learned phases that add up inside the sine. Its variables are
    `generator/sine_0/*` (a ReLU layer's are `generator/mlp_<i>/*`), so weights say which first layer they have.
"""
import collections
from typing import Dict

import tensorflow as tf

from common import training as common_training
from tf1_dates import tokenizer

HEADS = ("dy", "month", "century", "decade")

TrainGraph = collections.namedtuple("TrainGraph", [
    "graph", "global_step", "train_op", "loss", "losses", "init_op", "saver_vars",
    "inputs", "temperature", "probs", "samples", "eval_dy", "eval_tokens", "eval_losses", "lr", "noise_key"])
SampleGraph = collections.namedtuple("SampleGraph", [
    "graph", "inputs", "temperature", "probs", "samples", "saver_vars", "noise_key"])


def one_hot_inputs(inputs: tf.Tensor) -> tf.Tensor:
    """int (B, 6) condition ids -> float (B, 77) concatenated one-hots."""
    parts = [tf.one_hot(inputs[:, i], depth) for i, depth in enumerate(tokenizer.INPUT_SIZES)]
    return tf.concat(parts, axis=1)


def network(inputs: tf.Tensor, hidden: int = 768, layers: int = 2, rank: int = 0, periodic: bool = False,
            dropout: float = 0.0, training: bool = False) -> Dict[str, tf.Tensor]:
    """The generator: condition ids -> logits of the four date tokens.

    Args:
      inputs: int32 (B, 6) condition ids from `tokenizer.encode_conditions`.
      hidden: MLP width; layers: MLP depth; rank: width of the multiplicative branch (0 = none);
      periodic: sine activation in the first layer.
      dropout: dropout rate on the trunk features while training.
      training: True in the training graph (enables dropout); sampling uses False.

    Returns:
      dict head name -> logits: dy (B, 310), month (B, 12), century (B, 5), decade (B, 10).
    """
    with tf.variable_scope("generator", reuse=tf.AUTO_REUSE):
        x = one_hot_inputs(inputs)  # (B, 77)
        h = x
        for i in range(layers):
            if i == 0 and periodic:
                # x is a sum of one-hots, so x W = e_weekday + e_month + ... (one learned row per token);
                # sin of that sum is a product of per-token phase factors: the mod-7 structure is
                # one angle per token. Uniform(-pi, pi) init spreads the phases.
                h = tf.layers.dense(h, hidden, activation=tf.sin, name="sine_0",  # the name says the layer kind
                                    kernel_initializer=tf.random_uniform_initializer(-3.14159, 3.14159),
                                    bias_initializer=tf.random_uniform_initializer(-3.14159, 3.14159))
            else:
                h = tf.layers.dense(h, hidden, activation=tf.nn.relu, name="mlp_%d" % i)  # (B, hidden)
        features = [h]
        if rank:
            # Three linear maps of the same one-hots; their product is a sum of R products
            # f_r(x) g_r(x) k_r(x). Init scale ~1 keeps the product's variance O(1) at the start.
            factors = [tf.layers.dense(x, rank, name="mult_%s" % n,
                                       kernel_initializer=tf.random_normal_initializer(stddev=0.5))
                       for n in "abc"]
            features.append(factors[0] * factors[1] * factors[2])  # (B, rank)
        trunk = tf.concat(features, axis=1)  # (B, hidden + rank)
        if dropout:
            trunk = tf.layers.dropout(trunk, rate=dropout, training=training)
        return {name: tf.layers.dense(trunk, tokenizer.OUTPUT_SIZES[name], name="head_%s" % name)
                for name in HEADS}


def sample_tokens(logits: Dict[str, tf.Tensor], temperature: tf.Tensor, noise_key: tf.Tensor = None) -> tf.Tensor:
    """Draws one token per head from softmax(logits / temperature) -> int32 (B, 4) date tokens.

    Gumbel-max: argmax(logits / T + Gumbel noise) is an exact draw from the softmax. We use it instead
    of tf.random.categorical because that kernel's stream depends on the thread count (TF1's thread
    pools are process-wide, so `--seed` would not reproduce across runs); uniform noise from the
    Philox generator does not.

    Args:
      logits: from `network`.
      temperature: scalar float tensor.
      noise_key: None, or an int64 (2,) tensor. None: stateful uniform noise from the graph seed and
        these explicit op seeds (predict.py: one stream per process, so a seed and a batch size fix the
        output). A key: stateless noise that is a function of the key alone (training's validation
        rounds feed a key made of (seed, global step, split, batch), so a resumed run draws exactly what
        an uninterrupted one draws).
    """
    if noise_key is not None:
        sizes = [tokenizer.OUTPUT_SIZES[name] for name in HEADS]
        rows = tf.shape(logits[HEADS[0]])[0]
        noise = tf.random.stateless_uniform(tf.stack([rows, sum(sizes)]), seed=noise_key, minval=1e-20,
                                            maxval=1.0)  # (B, 337): one key, one draw, split per head
        uniforms = tf.split(noise, sizes, axis=1)
    draws = []
    for i, name in enumerate(HEADS):
        scaled = logits[name] / temperature  # (B, V)
        if noise_key is None:
            uniform = tf.random_uniform(tf.shape(scaled), minval=1e-20, maxval=1.0, seed=1 + i)
        else:
            uniform = uniforms[i]
        gumbel = -tf.log(-tf.log(uniform))
        draws.append(tf.argmax(scaled + gumbel, axis=1, output_type=tf.int32))  # (B,)
    return tf.stack(draws, axis=1)  # (B, 4)


def losses(logits: Dict[str, tf.Tensor], dy_target: tf.Tensor, tokens: tf.Tensor) -> Dict[str, tf.Tensor]:
    """Cross-entropy of every head, averaged over the batch.

    Args:
      logits: from `network`.
      dy_target: float (B, 310) target distribution of the joint token (uniform over valid dates).
      tokens: int (B, 3) month, century, decade-digit targets.
    """
    with tf.name_scope("loss"):
        out = {"dy": tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits_v2(
            labels=dy_target, logits=logits["dy"]))}
        for i, name in enumerate(HEADS[1:]):
            out[name] = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=tokens[:, i], logits=logits[name]))
        return out


def _hparams_network(hp, inputs, training):
    return network(inputs, hidden=hp["hidden"], layers=hp["layers"], rank=hp["rank"],
                   periodic=hp["periodic"], dropout=hp["dropout"], training=training)


def build_train_graph(hp, train_split) -> TrainGraph:
    """Training graph: in-graph data, step-keyed shuffled minibatches of combinations, Adam, sampling path.

    Args:
      hp: mapping with hidden, layers, rank, periodic, dropout, batch_size, lr, lr_final_ratio, steps,
        weight_decay, seed.
      train_split: `data.Split` of the training combinations (held as graph constants: 6k x 310 floats).
    """
    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(hp["seed"])
        inputs_all = tf.constant(train_split.inputs, name="train_inputs")       # (N, 6)
        target_all = tf.constant(train_split.dy_target, name="train_dy")        # (N, 310)
        tokens_all = tf.constant(train_split.tokens, name="train_tokens")       # (N, 3)
        n = int(train_split.inputs.shape[0])
        global_step = tf.train.get_or_create_global_step()
        # Each epoch visits every combination once (so every combination weighs the same), in an order
        # keyed by (seed, global step): a stopped-and-resumed run sees exactly the same batches.
        idx = common_training.batch_indices(n, hp["batch_size"], hp["seed"], global_step)  # (B,)
        logits = _hparams_network(hp, tf.gather(inputs_all, idx), training=True)
        parts = losses(logits, tf.gather(target_all, idx), tf.gather(tokens_all, idx))
        kernels = [v for v in tf.trainable_variables() if "kernel" in v.name]
        decay = hp["weight_decay"] * tf.add_n([tf.nn.l2_loss(v) for v in kernels])
        loss = tf.add_n(list(parts.values())) + decay
        # Exponential decay to lr * lr_final_ratio at the last step: a small final lr squeezes out the
        # last per-mille of probability on invalid dates. A function of global_step, so resuming is exact.
        lr = tf.train.exponential_decay(hp["lr"], global_step, hp["steps"], hp["lr_final_ratio"], name="lr")
        train_op = tf.train.AdamOptimizer(lr).minimize(loss, global_step=global_step)
        # Sampling path for validation monitoring: same network function, training=False. Its noise is
        # keyed (stateless), so the sampled metrics at step s do not depend on where the run was resumed.
        # (Built after the training network: ops added earlier would shift TF's derived op seeds.)
        inputs = tf.placeholder(tf.int32, [None, len(tokenizer.INPUT_SIZES)], name="inputs")
        temperature = tf.placeholder_with_default(1.0, [], name="temperature")
        noise_key = tf.placeholder(tf.int64, [2], name="noise_key")
        eval_logits = _hparams_network(hp, inputs, training=False)
        probs = {k: tf.nn.softmax(v) for k, v in eval_logits.items()}
        samples = sample_tokens(eval_logits, temperature, noise_key)
        # Validation loss on whole held-out splits fed through placeholders.
        eval_dy = tf.placeholder(tf.float32, [None, tokenizer.OUTPUT_SIZES["dy"]], name="eval_dy")
        eval_tokens = tf.placeholder(tf.int32, [None, 3], name="eval_tokens")
        eval_parts = losses(eval_logits, eval_dy, eval_tokens)
        saver_vars = tf.trainable_variables("generator")
        init_op = tf.global_variables_initializer()
    return TrainGraph(graph, global_step, train_op, loss, parts, init_op, saver_vars,
                      inputs, temperature, probs, samples, eval_dy, eval_tokens, eval_parts, lr, noise_key)


def sample_graph(hp, seed: int) -> SampleGraph:
    """Inference ops in the current default graph: condition ids in, sampled date tokens (and probabilities) out."""
    tf.set_random_seed(seed)
    inputs = tf.placeholder(tf.int32, [None, len(tokenizer.INPUT_SIZES)], name="inputs")
    temperature = tf.placeholder_with_default(1.0, [], name="temperature")
    logits = _hparams_network(hp, inputs, training=False)
    with tf.name_scope("probabilities"):  # TensorBoard's graph: inputs -> generator -> probabilities / sampling
        probs = {k: tf.nn.softmax(v, name=k) for k, v in logits.items()}
    with tf.name_scope("sampling"):
        samples = sample_tokens(logits, temperature)
    saver_vars = tf.trainable_variables("generator")
    return SampleGraph(tf.get_default_graph(), inputs, temperature, probs, samples, saver_vars, None)


def build_sample_graph(hp, seed: int) -> SampleGraph:
    """`sample_graph` in a new graph of its own."""
    with tf.Graph().as_default():
        return sample_graph(hp, seed)


def variable_shapes(hp) -> Dict[str, tuple]:
    """{variable name: shape} of the generator `network` builds for `hp`, without building it."""
    width = sum(tokenizer.INPUT_SIZES)
    shapes = {}
    for i in range(hp["layers"]):
        name = "sine_0" if i == 0 and hp["periodic"] else "mlp_%d" % i
        shapes.update({"generator/%s/kernel" % name: (width if i == 0 else hp["hidden"], hp["hidden"]),
                       "generator/%s/bias" % name: (hp["hidden"],)})
    for n in "abc" if hp["rank"] else "":
        shapes.update({"generator/mult_%s/kernel" % n: (width, hp["rank"]), "generator/mult_%s/bias" % n: (hp["rank"],)})
    for name in HEADS:
        shapes.update({"generator/head_%s/kernel" % name: (hp["hidden"] + hp["rank"], tokenizer.OUTPUT_SIZES[name]),
                       "generator/head_%s/bias" % name: (tokenizer.OUTPUT_SIZES[name],)})
    return shapes


def network_of(shapes: Dict[str, tuple]) -> Dict[str, object]:
    """The hidden, layers, rank and periodic that a generator's {variable name: shape} were made with."""
    first = shapes.get("generator/sine_0/kernel", shapes.get("generator/mlp_0/kernel"))
    if first is None or len(first) != 2:
        return {}
    layers = 1 + sum(1 for i in range(1, len(shapes)) if "generator/mlp_%d/kernel" % i in shapes)
    rank = shapes.get("generator/mult_a/kernel", (0, 0))
    return {"hidden": int(first[1]), "layers": layers, "periodic": "generator/sine_0/kernel" in shapes,
            "rank": int(rank[1]) if len(rank) == 2 else 0}
