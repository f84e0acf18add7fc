"""Quick end-to-end demo: `python -m tf1_gan.demo` (about a minute on two free cores).

Trains all four variants for 2 epochs on the first 2,048 embedded MNIST images (far too short for
good digits: it shows the pipeline, not the results), evaluates each run with the cached classifier
(trained first if missing) and writes the comparison figure and table. The full comparison is in
docs/tf1_gan.md.
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel("ERROR")

from common import config, training  # noqa: E402
from tf1_gan import compare  # noqa: E402
from tf1_gan import model  # noqa: E402
from tf1_gan import train  # noqa: E402

DEMO_ROOT = training.default_run_dir("tf1_gan", "demo")


def main(argv=None):
    import argparse
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=2, help="epochs per variant")
    parser.add_argument("--num-train", type=int, default=2048, help="training images used")
    args = parser.parse_args(argv)
    run_dirs = []
    for variant in model.VARIANTS:
        cfg = config.Config(dict(train.DEFAULTS, variant=variant, epochs=args.epochs, num_train=args.num_train,
                                 eval_samples=500))
        run_dir = os.path.join(DEMO_ROOT, variant)
        metrics = train.train(cfg, train.load_images(cfg), run_dir)
        print("%s: fid=%.1f d_loss=%.3f g_loss=%.3f -> %s" % (variant, metrics["fid"], metrics["final_d_loss"],
                                                             metrics["final_g_loss"], run_dir))
        run_dirs.append(run_dir)
    compare.main(run_dirs + ["--out", os.path.join(DEMO_ROOT, "compare")])
    print("demo outputs: %s (per-variant run dirs, compare/compare.png, compare/compare.md)" % DEMO_ROOT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
