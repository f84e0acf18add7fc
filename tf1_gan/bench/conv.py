"""Per-layer convolution timings, TF's ops vs conv_ops: `python -m tf1_gan.bench.conv [--batch-size 64]`.

For each convolution of the DCGAN networks (batch 64) times the three passes a training step runs -
forward, input gradient, kernel gradient - once with TF's own ops ("tf") and once with
`tf1_gan.conv_ops` ("subpixel"), one op at a time (1 inter-op thread, 2 intra-op threads), median of 5
blocks. Prints `layer=<l> pass=<p> impl=<i> ms=<f>` lines; docs/tf1_gan.md (Speed) reads them.
"""
import sys
import time

import numpy as np
import tensorflow as tf

from common import cli, config
from tf1_gan import conv_ops

SCHEMA = config.Schema([
    config.batch_size(64, "examples per timed pass"),
    config.Key("repeats", 10, "runs of an op per timed block (5 blocks, median)", ge=1),
])

# name, transposed (G) or not (D), small-side input (B excluded), kernel (K, K, big-side C, small-side C), stride
LAYERS = [
    ("G deconv1", True, (7, 7, 256), (5, 5, 128, 256), 1),
    ("G deconv2", True, (7, 7, 128), (5, 5, 64, 128), 2),
    ("D conv2", False, (7, 7, 128), (5, 5, 64, 128), 2),
]


def _passes(impl, transposed, x, w, dy, stride):
    """{pass: tensor} of one layer: its output, input gradient and kernel gradient for upstream dy."""
    if transposed:
        out = (conv_ops.conv2d_transpose(x, w, stride) if impl == "subpixel" else
               tf.nn.conv2d_transpose(x, w, dy.shape.as_list(), [1, stride, stride, 1], "SAME"))
    else:
        out = (conv_ops.conv2d(x, w, stride) if impl == "subpixel" else
               tf.nn.conv2d(x, w, [1, stride, stride, 1], "SAME"))
    dx, dw = tf.gradients(out, [x, w], dy)
    return {"forward": out, "input_grad": dx, "kernel_grad": dw}


def _time(sess, tensor, repeats, blocks=5):
    for _ in range(3):
        sess.run(tensor.op)
    times = []
    for _ in range(blocks):
        t0 = time.time()
        for _ in range(repeats):
            sess.run(tensor.op)
        times.append((time.time() - t0) / repeats * 1000.0)
    return float(np.median(times))


@cli.entry_point
def main(argv=None):
    args = SCHEMA.parse(argv, description=__doc__.split("\n\n")[0])
    rng = np.random.RandomState(0)
    conf = tf.ConfigProto(intra_op_parallelism_threads=2, inter_op_parallelism_threads=1)
    print("# tensorflow %s, %s kernels" % (tf.__version__, "oneDNN" if conv_ops.built_with_onednn() else "Eigen"))
    for name, transposed, small, kernel, stride in LAYERS:
        big = (small[0] * stride, small[1] * stride, kernel[2])
        in_shape, out_shape = (small, big) if transposed else (big, small)
        for impl in ("tf", "subpixel"):
            with tf.Graph().as_default():
                # Variables, so that no pass is constant-folded away.
                x = tf.Variable(rng.randn(args.batch_size, *in_shape).astype(np.float32))
                w = tf.Variable(rng.randn(*kernel).astype(np.float32))
                dy = tf.Variable(rng.randn(args.batch_size, *out_shape).astype(np.float32))
                passes = _passes(impl, transposed, x, w, dy, stride)
                with tf.Session(config=conf) as sess:
                    sess.run(tf.global_variables_initializer())
                    for pass_name, tensor in passes.items():
                        print("layer=%s pass=%s impl=%s ms=%.1f" % (name.replace(" ", "_"), pass_name, impl,
                                                                    _time(sess, tensor, args.repeats)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
