"""`make handin`: each exercise's submission, built from the repository the way its grader receives it.

    python -m common.handin --name "Ada Lovelace" [--matriculation N] [--institution TEXT] [--out handin]
    make handin NAME="Ada Lovelace"

The name (and the exam cover's optional matriculation number and institution) come from the flags, else
from `handin.yaml` in the working directory (`name:`, `matriculation:`, `institution:`; git-ignored: it is
personal). A missing or empty name is refused (exit 2). The output folder gets one sub-folder per exercise,
as the tasks declare them (`Task.handin`, read by `bundles()`); nothing is written into the repository's tracked files (handin/ is ignored).

Each bundle is made from the tracked sources at build time: the PDFs are typeset from docs/deliverables/
(`common.handin_docs`, the engine of `make docs-engine`), the code is copied with `common.vendor` (only the
modules the entry points import; the dates bundle flattens `tf1_dates` into `model/` so `python predict.py`
runs there), the CS7643 zip comes from `tf1_mnist/collect_submission.sh`. The whole output is written to a
temporary folder beside `--out` and moved into place at the end, so a failed build leaves the previous one.
"""
import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

from common import cli, documents, errors, files, handin_docs, vendor, yaml_io

REPO_ROOT = documents.REPO_ROOT
CONFIG = "handin.yaml"



def bundles():
    """{task: common.task.Handin} of every registered task that hands something in, in registry order: the tasks
    declare their folder, documents, code builder (a function of this module), cover and zip."""
    from common import task  # pylint: disable=import-outside-toplevel  (imports the task packages)
    return collections.OrderedDict((t.name, t.handin) for t in task.tasks() if t.handin is not None)


# Code each bundle carries: the entry modules (their imports are followed) and the data.
GAN_ENTRIES = ("tf1_gan.train", "tf1_gan.sample")
GAN_VERSIONS = (("1. linear layers only", "--variant linear"),
                ("2. linear layers with 1-D batch normalization", "--variant linear_bn"),
                ("3. 2-D convolutions with 2-D batch normalization", "--variant dcgan_bn"),
                ("4. 2-D convolutions with spectral normalization (ours, Algorithm 1)", "--variant dcgan_sn"))
GAN_EPOCHS = "--epochs 10 --seed 0"
DATES_MODEL = ("tf1_dates.predict", "tf1_dates.train", "tf1_dates.score", "tf1_dates.evaluate_weights")
DATES_DATA = ("tf1_dates.datagen",)
TEST_ONLY = re.compile(r"^(pytest|iniconfig|pluggy|py|tomli|attrs)==", re.I)

Settings = collections.namedtuple("Settings", "name matriculation institution")


def file_name(name):
    """The name as it appears in file names: spaces (and runs of them) -> one underscore."""
    return re.sub(r"\s+", "_", name.strip())


def check_name(name, where):
    """The name stripped; UserError if it is empty or cannot be part of a file name."""
    name = (name or "").strip()
    if not name:
        raise errors.UserError("%s: the name is empty; give NAME=\"Full Name\" (make handin) or name: in %s"
                               % (where, CONFIG))
    if not re.match(r"^[^\W\d_][\w .'\-]*$", name, re.UNICODE) or len(name) > 80:
        raise errors.UserError("%s: %r is not a name (letters, spaces, . ' - only, at most 80 characters)"
                               % (where, name))
    return name


def load_settings(args):
    """Settings from the flags, else from handin.yaml (UserError on a bad file or an empty name)."""
    values, where = {}, "--name"
    path = args.config or (CONFIG if os.path.exists(CONFIG) else None)
    if path:
        loaded = yaml_io.read_yaml(path) or {}  # the one YAML loader: bounded, YAML 1.2 numbers, declared as read
        if not isinstance(loaded, dict) or set(loaded) - {"name", "matriculation", "institution"}:
            raise errors.UserError("%s: expected the keys name, matriculation, institution" % path)
        values = {k: ("" if v is None else str(v)).strip() for k, v in loaded.items()}
        where = "%s: name" % path
    for key in ("name", "matriculation", "institution"):
        if getattr(args, key) is not None:
            values[key] = getattr(args, key).strip()
            where = "--name" if key == "name" else where
    if "name" not in values:
        raise errors.UserError("no name given: make handin NAME=\"Full Name\", or name: in %s" % CONFIG)
    return Settings(check_name(values["name"], where), values.get("matriculation", ""),
                    values.get("institution", ""))


def environment_files(folder, extra_note=""):
    """environment.yml (conda, Python 3.6) and requirements.txt (every package pinned) into `folder`."""
    pins = [line for line in open(os.path.join(REPO_ROOT, "constraints.txt"), encoding="utf-8").read().split("\n")
            if re.match(r"^[A-Za-z0-9_.\-]+==", line) and not TEST_ONLY.match(line)]
    with open(os.path.join(folder, "requirements.txt"), "w", encoding="utf-8") as handle:
        handle.write("# Python 3.6, CPU. Every package pinned (pip install -r requirements.txt).%s\n" % extra_note)
        handle.write("\n".join(pins) + "\n")
    with open(os.path.join(folder, "environment.yml"), "w", encoding="utf-8") as handle:
        handle.write("# conda env create -f environment.yml && conda activate dl-handin"
                     "   (Ubuntu 18.04/20.04, x86-64)\n"
                     "name: dl-handin\nchannels:\n  - defaults\ndependencies:\n  - python=3.6\n  - pip\n"
                     "  - pip:\n      - -r requirements.txt\n")


def write_zip(path, folder, prefix=""):
    """Every file below `folder` into the zip at `path` (sorted, names relative to `folder`)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for directory, dirs, names in os.walk(folder):
            dirs.sort()
            for name in sorted(names):
                full = os.path.join(directory, name)
                archive.write(full, os.path.join(prefix, os.path.relpath(full, folder)))


def _readme(folder, text):
    with open(os.path.join(folder, "README.md"), "w", encoding="utf-8") as handle:
        handle.write(text.lstrip("\n"))


def gan_zip(settings, folder):
    """tf1_gan_submission.zip: the package, the MNIST subset it trains on, README, environment files."""
    stage = tempfile.mkdtemp(prefix="gan.", dir=folder)
    vendor.vendor(vendor.closure(GAN_ENTRIES), stage)
    shutil.copytree(os.path.join(REPO_ROOT, "data", "mnist10k"), os.path.join(stage, "data", "mnist10k"))
    environment_files(stage)
    commands = "\n".join("# %s\npython -m tf1_gan.train %s %s\n" % (title, flags, GAN_EPOCHS)
                         for title, flags in GAN_VERSIONS)
    commands += "\n# 4b. version 4 as the spectral-normalization paper sets it up: SN in D only, G keeps BN\n"
    commands += "python -m tf1_gan.train --variant dcgan_sn --sn-scope d %s\n" % GAN_EPOCHS
    _readme(stage, GAN_README % {"name": settings.name, "commands": commands})
    write_zip(os.path.join(folder, "tf1_gan_submission.zip"), stage)
    shutil.rmtree(stage)


GAN_README = """
# Simple GAN to spectral normalization, four versions (TensorFlow 1.15) — %(name)s

Set up once (conda, Python 3.6), from this folder:

```bash
conda env create -f environment.yml && conda activate dl-handin
```

One command per version; each trains 10 epochs of the 8,000-image MNIST subset in `data/mnist10k/`
(1,250 steps of 64 images), writes samples from the middle and the end of training to
`runs/tf1_gan/<version>_s0/samples/{middle,end}.png` and its loss curves beside them:

```bash
%(commands)s```

Every command takes `--help`. Samples of a finished run:
`python -m tf1_gan.sample --run-dir runs/tf1_gan/dcgan_sn_s0 --n 64 --out s.npy`. The spectral normalization is ours (`tf1_gan/spectral_norm.py`, Algorithm 1 of Miyato et al.); the networks
are in `tf1_gan/model.py`, the training step in `tf1_gan/train_step.py`. `Report.pdf` has the figures.
"""


def dates_repository(settings, folder):
    """The seed's repository layout: model/ (code + weights), data/, environment files, README."""
    model_dir, data_dir = os.path.join(folder, "model"), os.path.join(folder, "data")
    vendor.vendor(vendor.closure(DATES_MODEL), model_dir, flatten="tf1_dates")
    shutil.copytree(os.path.join(REPO_ROOT, "tf1_dates", "weights"), os.path.join(model_dir, "weights"))
    vendor.vendor(vendor.closure(DATES_DATA), data_dir, flatten="tf1_dates")
    for name in ("data.txt", "example_input.txt"):
        source = os.path.join(REPO_ROOT, "data", "dates", name)
        if not os.path.exists(source):
            raise errors.UserError("%s is missing: run `make data` first" % os.path.relpath(source, REPO_ROOT))
        shutil.copy(source, data_dir)
    environment_files(folder)
    _readme(folder, DATES_README % {"name": settings.name, "file": file_name(settings.name)})


DATES_README = """
# Conditional generation of dates — %(name)s

Set up once (conda, Python 3.6): `conda env create -f environment.yml && conda activate dl-handin`.

```bash
cd model
python predict.py -i ../data/example_input.txt -o out.txt             # the trained weights in model/weights/
python score.py out.txt --input ../data/example_input.txt             # evaluation: pass rates, all-four, diversity
python evaluate_weights.py                                           # every satisfiable combination x 5, scored
python train.py --data ../data/data.txt --run-dir runs/full --val-frac 0 --test-frac 0 --threads 1   # the weights' run
python train.py --data ../data/data.txt --run-dir runs/heldout --threads 1   # held-out combinations: the curves
cd ../data && python datagen.py --out-dir .                           # regenerates data.txt and example_input.txt
```

`model/` holds the training (`train.py`, `data.py`, `model.py`), inference (`predict.py`, `sampling.py`)
and evaluation (`score.py`, `evaluate_weights.py`) code, the tokenizer and the trained weights
(`weights/`: the generator and its `hparams.json`); `common/` is shared plumbing (command line, checked
output files, run folders). A finished training run leaves `weights/` in its run folder; copy it over
`model/weights/` to predict with it, or pass `--weights RUN_DIR`. Every command takes `--help`.
The method and results: `dl_problem_%(file)s.pdf`; the essay questions: `essay_answers_%(file)s.pdf`.
"""


def cs7643_zip(settings, folder):  # pylint: disable=unused-argument
    """assignment_1_submission.zip from the course's own collect script (its layout, unchanged)."""
    out = os.path.join(folder, "assignment_1_submission.zip")
    proc = subprocess.run(["bash", os.path.join(REPO_ROOT, "tf1_mnist", "collect_submission.sh"), out],
                          env=dict(os.environ, PYTHON=sys.executable), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        raise RuntimeError("collect_submission.sh failed: %s" % proc.stderr.decode("utf-8", "replace"))


def build(settings, out, engine):
    """Writes every bundle into `out` (replaced as a whole at the end); returns {folder: [files]}."""
    with files.staged_folder(out, ".handin.") as stage:
        jobs, declared = [], bundles()
        for bundle in declared.values():
            folder = os.path.join(stage, bundle.folder)
            os.makedirs(folder)
            for output, pattern in bundle.documents:
                jobs.append((output, os.path.join(folder, pattern.format(name=file_name(settings.name))),
                             bundle.cover))
            if bundle.code:
                globals()[bundle.code](settings, folder)
        handin_docs.typeset(jobs, settings, engine, os.path.join(stage, ".work"))
        shutil.rmtree(os.path.join(stage, ".work"))
        for bundle in declared.values():
            if bundle.zipped:  # the whole folder as one zip, inside it
                folder, name = os.path.join(stage, bundle.folder), bundle.zipped.format(name=file_name(settings.name))
                write_zip(os.path.join(stage, name), folder, bundle.folder)
                shutil.move(os.path.join(stage, name), folder)
    return {b.folder: sorted(os.listdir(os.path.join(out, b.folder))) for b in declared.values()}


@cli.entry_point
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", help="your full name (else name: in %s)" % CONFIG)
    parser.add_argument("--matriculation", help="exam cover: matriculation number (else a blank line)")
    parser.add_argument("--institution", help="exam cover: institution (else a blank line)")
    parser.add_argument("--config", help="settings file (default: %s if it exists)" % CONFIG)
    parser.add_argument("--out", default="handin", help="output folder (replaced)")
    parser.add_argument("--engine", default=handin_docs.DEFAULT_ENGINE, help="Python of the document engine")
    args = parser.parse_args(argv)
    settings = load_settings(args)
    files.check_output_dir(args.out)  # replaced as a whole: it must hold nothing this command reads
    listing = build(settings, args.out, args.engine)
    for folder, names in listing.items():
        print("%s/%s: %s" % (args.out, folder, ", ".join(names)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
