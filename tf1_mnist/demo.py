"""Quick end-to-end tour (about a minute on 2 cores): both CS7643 models and one ConvNet epoch.

    python -m tf1_mnist.demo      # writes runs/tf1_mnist/demo/{softmax,twolayer,cnn}
"""
import os
import sys
import time

from common import cli, config
from tf1_mnist import cnn
from tf1_mnist import main as trainer

OUT = os.path.join("runs", "tf1_mnist", "demo")


def run_demo(out=OUT):
    began = time.time()
    configs = os.path.join(os.path.dirname(os.path.abspath(__file__)), "configs")
    lines = []
    for name, yaml_name in (("softmax", "config_softmax.yaml"), ("twolayer", "config_twolayer.yaml")):
        cfg = trainer.SCHEMA.parse(["--config", os.path.join(configs, yaml_name), "--run-dir", os.path.join(out, name)])
        metrics = trainer.train(cfg)
        if metrics is None:
            return 130
        lines.append("%-9s test accuracy %.4f  -> %s" % (name, metrics["test_accuracy"], os.path.join(out, name)))
    metrics = cnn.train(cnn.SCHEMA.parse(["--epochs", "1", "--run-dir", os.path.join(out, "cnn")]))
    if metrics is None:
        return 130
    lines.append("%-9s test accuracy %.4f  -> %s" % ("cnn", metrics["test_accuracy"], os.path.join(out, "cnn")))
    print("\n".join(["", "tf1_mnist demo done in %.0f s:" % (time.time() - began)] + lines))
    print("each dir holds metrics.json, learning_curves.png, config.yaml, checkpoints/, TensorBoard events")
    print("rerunning reuses the finished runs; delete %s to start over" % out)
    return 0


@cli.entry_point
def main(argv=None):
    config.arg_parser(__doc__.split("\n")[0], prog="python -m tf1_mnist.demo").parse_args(argv)  # --help; no options
    return run_demo()


if __name__ == "__main__":
    sys.exit(main())
