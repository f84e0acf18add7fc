"""Quick end-to-end demo: `python -m tf1_molecules.demo` (about a minute on 2 free cores).

Trains the PropertyPredictor on fewer steps than `tf1_molecules.train`'s defaults, writing to
runs/tf1_molecules/demo, and prints the validation error next to the predict-the-mean baseline.
Running it again resumes (and, if already finished, just re-evaluates the last checkpoint).
"""
import logging
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from common import config, training  # noqa: E402
from tf1_molecules import train  # noqa: E402

DEMO_OVERRIDES = {"steps": 2500, "eval_every": 250, "checkpoint_every": 500}


@config.exit_on_error
def main(argv=None):
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    defaults = dict(train.DEFAULTS)
    defaults.update(DEMO_OVERRIDES)
    defaults["run_dir"] = training.default_run_dir(train.TASK, "demo")
    cfg = config.parse(defaults, argv, description=__doc__.split("\n")[0], help=train.HELP)
    metrics = train.run(cfg)
    if metrics is not None:
        print("demo: val MAE %.3f is %.0f%% of the predict-the-mean baseline %.3f"
              % (metrics["val_mae"], 100.0 * metrics["val_mae_over_baseline"], metrics["baseline_val_mae"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
