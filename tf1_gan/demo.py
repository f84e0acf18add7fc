"""Quick end-to-end pipeline check: `python -m tf1_gan.demo` (about a minute and a half on two free cores).

Trains the four variants and the paper's SN setup (`dcgan_sn --sn-scope d`) for 2 epochs on the first 2,048
embedded MNIST images - far too short for good digits: it checks the pipeline, it does not measure results -
evaluates each run with the cached classifier (trained first if missing) and writes the comparison figure and
table. The results (10 epochs on 8,000 images) are in docs/tf1_gan.md. Each demo run starts over.
"""
import os
import sys

from common import cli, config, run
from tf1_gan import compare
from tf1_gan import options
from tf1_gan import task as gan_task

DEMO_ROOT = run.default_run_dir("tf1_gan", "demo")
# (run name, config overrides): the seed's four versions, then the paper's setup (SN in D only).
RUNS = [("linear", {"variant": "linear"}), ("linear_bn", {"variant": "linear_bn"}),
        ("dcgan_bn", {"variant": "dcgan_bn"}), ("dcgan_sn", {"variant": "dcgan_sn"}),
        ("dcgan_sn_snD", {"variant": "dcgan_sn", "sn_scope": "d"})]

SCHEMA = config.Schema([
    config.epochs(2, "epochs per run"),
    config.num_train(2048, "training images used (0 = all)"),
    config.Key("eval_samples", 500, "samples per evaluation", ge=2),
    config.threads(2),
], checks=[lambda cfg: config.require(cfg.num_train == 0 or cfg.num_train >= 64,
                                      "config key 'num_train' (%d) must be 0 or at least one batch (64)"
                                      % cfg.num_train)])


@cli.entry_point
def main(argv=None):
    args = SCHEMA.parse(argv, description=__doc__.split("\n\n")[0])
    label = "pipeline check (%d epochs on %s images; not results - see docs/tf1_gan.md)" % (
        args.epochs, args.num_train or "all")
    print("== tf1_gan %s" % label)
    run_dirs = []
    for name, overrides in RUNS:
        run_dir = os.path.join(DEMO_ROOT, name)
        cfg = options.train_config(epochs=args.epochs, num_train=args.num_train, eval_samples=args.eval_samples,
                                   threads=args.threads, run_dir=run_dir, restart=True, **overrides)
        metrics = gan_task.train(cfg)
        if metrics is None:
            return cli.STOPPED
        print("pipeline check %-13s fid=%.1f d_loss=%.3f g_loss=%.3f -> %s" % (
            name, metrics["fid"], metrics["final_d_loss"], metrics["final_g_loss"], run_dir))
        run_dirs.append(run_dir)
    print("== %s:" % label)
    code = compare.main(run_dirs + ["--out", os.path.join(DEMO_ROOT, "compare")])
    print("demo outputs: %s (per-run dirs, compare/compare.png, compare/compare.md); a %s" % (DEMO_ROOT, label))
    return code


if __name__ == "__main__":
    sys.exit(main())
