"""tf1_gan's section of reports/REPORT.md: the variant comparison (figure + table) of the runs present."""
import glob
import os

from common import report
from tf1_gan import compare

# Display order: the seed's four variants, then the spectral-norm alternatives.
ORDER = ["linear", "linear_bn", "dcgan_bn", "dcgan_sn", "dcgan_sn_snD", "dcgan_sn_snAllBN"]


def _rank(run_dir):
    name = os.path.basename(run_dir)
    stem = name.rsplit("_s", 1)[0] if "_s" in name else name
    return (ORDER.index(stem) if stem in ORDER else len(ORDER), name)


def _groups(task_runs_dir):
    """{title: [run dirs]}: full runs (runs/tf1_gan/<variant>_s<seed>) and the demo runs."""
    def runs(pattern):
        found = [os.path.dirname(p) for p in glob.glob(os.path.join(pattern, "metrics.json"))]
        return sorted((d for d in found if os.path.exists(os.path.join(d, "samples", "end.npy"))), key=_rank)
    groups = {}
    full = [d for d in runs(os.path.join(task_runs_dir, "*")) if os.path.basename(d) not in ("classifier",)]
    if full:
        groups["Full runs (same epochs for every variant)"] = full
    demo = runs(os.path.join(task_runs_dir, "demo", "*"))
    if demo:
        groups[DEMO] = demo
    return groups


DEMO = "Pipeline checks (`make demo`)"


def _demo_budget():
    """What a demo run trains, against the recipe (from the two CLIs' defaults)."""
    from tf1_gan import demo  # pylint: disable=import-outside-toplevel
    return "%d epochs on %d images instead of the recipe's %d epochs on all training images" % (
        demo.SCHEMA.defaults["epochs"], demo.SCHEMA.defaults["num_train"], report.recipe("tf1_gan", "epochs"))


def section(task_runs_dir):
    """Markdown with repo-relative image paths; empty string when there are no finished runs.

    Each run's samples are a figure of their own (one row: middle and end of training), so the sample grids
    and their panel titles print at full size."""
    parts = []
    for title, run_dirs in _groups(task_runs_dir).items():
        out = os.path.join(run_dirs[0], os.pardir, "compare")
        demo = title == DEMO
        parts.append("### %s\n" % title)
        if demo:
            parts.append(report.PIPELINE_CHECK % _demo_budget() + "\n")
        parts.append(compare.markdown_table(run_dirs) + "\n")
        for run_dir in run_dirs:
            png = compare.figure([run_dir], os.path.join(out, "compare_%s.png" % os.path.basename(run_dir)))
            parts.append(report.figure(os.path.normpath(png), "%s: fixed-z samples at the middle (left) and the end "
                                       "(right) of %s." % (compare.run_label(run_dir),
                                                           "the pipeline-check run" if demo else "training")))
    if parts:
        parts.append("FID is computed on the features of tf1_gan's own MNIST classifier (not Inception); "
                     "see docs/tf1_gan.md.")
    return "\n".join(parts)
