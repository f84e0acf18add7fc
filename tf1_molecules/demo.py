"""Quick end-to-end demo: `python -m tf1_molecules.demo` (about a minute on 2 free cores).

Trains the PropertyPredictor on fewer steps than `tf1_molecules.train`'s defaults, writing to
runs/tf1_molecules/demo, and prints the validation error next to the predict-the-mean baseline.
Running it again resumes (and, if already finished, just re-evaluates the last checkpoint).
"""
import sys

from common import cli, run
from tf1_molecules import task

DEMO_OVERRIDES = {"steps": 2500, "eval_every": 250, "ckpt_every": 500}


@cli.entry_point
def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)  # the flags given, so the demo's values never override them
    cfg = task.SCHEMA.parse(argv, description=__doc__.split("\n")[0])
    given = set(task.SCHEMA.parser().parse_args(argv).__dict__)
    changes = {k: v for k, v in DEMO_OVERRIDES.items() if k not in given}
    if not cfg.run_dir:
        changes["run_dir"] = run.default_run_dir(task.TASK.name, "demo")
    cfg = task.SCHEMA.validate(dict(cfg, **changes))
    metrics = task.train(cfg)
    if metrics is not None:
        print("demo: val MAE %.3f is %.0f%% of the predict-the-mean baseline %.3f"
              % (metrics["val_mae"], 100.0 * metrics["val_mae_over_baseline"], metrics["baseline_val_mae"]))
    return cli.done_or_stopped(metrics)


if __name__ == "__main__":
    sys.exit(main())
