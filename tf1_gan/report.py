"""tf1_gan's section of reports/REPORT.md: the variant comparison (figure + table) of the runs present."""
import glob
import os

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
        groups["Demo runs (2 epochs on 2,048 images: pipeline check, not results)"] = demo
    return groups


def section(task_runs_dir):
    """Markdown with repo-relative image paths; empty string when there are no finished runs."""
    parts = []
    for title, run_dirs in _groups(task_runs_dir).items():
        out = os.path.join(run_dirs[0], os.pardir, "compare")
        png = compare.figure(run_dirs, os.path.join(out, "compare.png"))
        parts.append("### %s\n\n%s\n\n![samples at the middle and end of training](%s)\n"
                     % (title, compare.markdown_table(run_dirs), os.path.normpath(png)))
    if parts:
        parts.append("FID is computed on the features of tf1_gan's own MNIST classifier (not Inception); "
                     "see docs/tf1_gan.md.")
    return "\n".join(parts)
