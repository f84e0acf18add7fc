"""Question 4e, part 2: which input shapes can the network take, and why.

    python -m tf1_dna.shapes                 # the handout's six tensors A-F
    python -m tf1_dna.shapes 1,4,9 2,4,12    # any shapes (batch,channels,length)
    python -m tf1_dna.shapes --verify        # also feed zeros of each shape to a real (untrained) graph

Exit status: 0 when every shape given runs, 1 otherwise (the handout's listing always exits 0).
"""
import argparse
import collections
import sys

import numpy as np
import tensorflow as tf

from common import cli, config, training
from tf1_dna import model

# Question 4e's tensors.
HANDOUT_SHAPES = collections.OrderedDict([
    ("A", (1, 4, 3)), ("B", (1, 5, 9)), ("C", (1, 4, 6)), ("D", (1, 1, 7)), ("E", (1, 4, 7)), ("F", (1, 4, 2)),
])


def run_shapes(shapes, hidden=8):
    """Feeds zeros of each shape to a fresh graph (inference mode) and reports what TF does.

    Returns:
      list of (output_shape or None, error text or None), one per shape.
    """
    graph = tf.Graph()
    with graph.as_default():
        training.seed_everything(0)
        net = model.build_inference_graph(hidden)
        init = tf.global_variables_initializer()
    graph.finalize()
    results = []
    with tf.Session(graph=graph, config=training.session_config(1)) as sess:
        sess.run(init)
        for shape in shapes:
            try:
                out = sess.run(net.probs, {net.dna: np.zeros(shape, np.float32)})
                results.append((tuple(out.shape), None))
            except (ValueError, tf.errors.InvalidArgumentError) as err:
                results.append((None, "%s: %s" % (type(err).__name__, str(err).split("\n")[0][:150])))
    return results


def _parse_shape(text):
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError("shape must be comma-separated integers like 1,4,9, got %r" % text)


@cli.entry_point
def main(argv=None, out=None):
    out = out or sys.stdout
    parser = config.arg_parser(__doc__.split("\n\n")[0])
    parser.add_argument("shapes", nargs="*", type=_parse_shape, help="shapes as batch,channels,length")
    parser.add_argument("--verify", action="store_true", help="also run each shape through a real TF graph")
    args = parser.parse_args(argv)
    named = (collections.OrderedDict(("%s" % (s,), s) for s in args.shapes) if args.shapes else HANDOUT_SHAPES)
    verdicts = [model.check_input_shape(shape) for shape in named.values()]
    runs = run_shapes([v.shape for v in verdicts if len(v.shape) == 3 and min(v.shape) >= 1]) \
        if args.verify else None
    index = 0
    for name, verdict in zip(named, verdicts):
        label = "ok" if verdict.ok else ("WARN" if verdict.runs else "NO")
        out.write("%-12s %-4s %s\n" % ("%s %s" % (name, verdict.shape) if args.shapes == [] else name, label,
                                        verdict.reason))
        if runs is not None and len(verdict.shape) == 3 and min(verdict.shape) >= 1:
            shape, error = runs[index]
            index += 1
            out.write("%-12s      TF: %s\n" % ("", "output %s" % (shape,) if shape else error))
    if args.shapes and not all(v.runs for v in verdicts):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
