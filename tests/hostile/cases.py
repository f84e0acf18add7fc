"""The hostile-input matrix: every CLI fed malformed files and nonsense numbers.

Each case must end with a non-zero exit code, a message naming the file, line or key and the reason, no
traceback, no new file and every input untouched. `tests/hostile/test_hostile.py` runs the cases in-process
(fast); `python tools/hostile.py` runs them as subprocesses and prints the counts by outcome.

A case's argv and files may use `{tmp}`, the case's own empty temp directory. Files are bytes, `FIFO`,
`DIR`, or `(bytes, mode)` for a file with those permission bits.
"""
import collections
import importlib
import os

Case = collections.namedtuple("Case", "id module argv files code pattern")
FIFO, DIR = "<fifo>", "<dir>"
GOOD_YAML = b"seed: 1\n"


_SCHEMAS = {}  # training CLI -> its trainer's Schema
_TRAINERS = {}  # training CLI -> its Trainer


def missing_requirements(case):
    """The files a case's trainer needs with its default data that are absent (none when the case names its own
    data file)."""
    trainer = _TRAINERS.get(case.module)
    if trainer is None or (trainer.data_flag and trainer.data_flag in case.argv):
        return []
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return [path for path in trainer.requires if not os.path.exists(os.path.join(root, path))]


def _registry():
    """From the task registry: {training CLI: argv keeping any accidental run inside the case's temp dir} and
    {training CLI: (data flag, [(case, bytes, message regex)])}: a new task's trainer joins the matrix."""
    from common import task  # pylint: disable=import-outside-toplevel
    training, data_files = {}, {}
    for trainer in task.trainers():
        training[trainer.module] = list(trainer.smoke_args)
        _SCHEMAS[trainer.module] = trainer.schema
        _TRAINERS[trainer.module] = trainer
        if trainer.data_flag:
            data_files[trainer.module] = (trainer.data_flag, list(trainer.bad_data))
    return training, data_files


TRAINING, DATA_FILES = _registry()


def _bad_values(key):
    """Values outside `key`'s declared range or type, as flag strings."""
    out = []
    if key.choices is not None:
        return ["not-a-choice"]
    if key.type is float:
        out += ["nan", "inf", "-inf", "abc"]
    if key.type is int:
        out += ["1.5", "abc"]
    for op, bound in key.bounds:
        step = 1 if key.type is int else 0.5
        if op in (">=", ">"):
            out.append(str(bound - step if op == ">=" else bound))
        else:
            out.append(str(bound + step if op == "<=" else bound))
    return out


def schema_cases(module_name, base_argv, schema_module=None):
    """One case per (numeric or enumerated key, bad value), plus the YAML cases, from the CLI's declared Schema
    (that of `schema_module` when the CLI parses another module's)."""
    schema = _SCHEMAS.get(module_name) if schema_module is None else None
    schema = schema or importlib.import_module(schema_module or module_name).SCHEMA
    cases = []
    for key in schema.keys.values():
        if key.type is bool or key.type is tuple or key.type is str and key.choices is None:
            continue
        for value in _bad_values(key):
            cases.append(Case("%s %s=%s" % (module_name, key.flag, value), module_name,
                              base_argv + [key.flag, value], {}, 2, key.name.replace("_", "[-_]")))
    yaml_cases = [
        ("duplicate key", b"seed: 1\nseed: 2\n", "duplicate key 'seed'"),
        ("unknown key", b"sede: 1\n", "unknown key 'sede'"),
        ("not a mapping", b"- 1\n- 2\n", "must hold a mapping"),
        ("binary", b"\x00\xff\xfe\x01", "not UTF-8|not valid YAML"),
        ("broken", b"seed: [1,\n", "not valid YAML"),
        ("wrong type", b"seed: abc\n", "'seed' must be an integer"),
    ]
    for name, text, pattern in yaml_cases:
        if name == "wrong type" and "seed" not in schema:
            continue  # 'seed' is the unknown-key case there
        cases.append(Case("%s --config %s" % (module_name, name), module_name,
                          base_argv + ["--config", "{tmp}/c.yaml"], {"c.yaml": text}, 2, pattern))
    cases.append(Case("%s --config missing" % module_name, module_name, base_argv + ["--config", "{tmp}/none.yaml"],
                      {}, 2, "config file .*none.yaml: cannot read: No such file"))
    cases.append(Case("%s --config dir" % module_name, module_name, base_argv + ["--config", "{tmp}/d"],
                      {"d": DIR}, 2, "config file .*/d is a directory"))
    cases.append(Case("%s unknown flag" % module_name, module_name, base_argv + ["--bogus", "1"], {}, 2,
                      "unrecognized arguments: --bogus"))
    return cases


def data_cases(module_name, base_argv):
    flag, files = DATA_FILES[module_name]
    cases = [Case("%s %s %s" % (module_name, flag, name), module_name, base_argv + [flag, "{tmp}/data"],
                  {"data": content}, 2, pattern) for name, content, pattern in files]
    cases.append(Case("%s %s missing" % (module_name, flag), module_name, base_argv + [flag, "{tmp}/nope"], {}, 2,
                      "nope: cannot read: No such file"))
    cases.append(Case("%s %s dir" % (module_name, flag), module_name, base_argv + [flag, "{tmp}/d"], {"d": DIR}, 2,
                      "is a directory"))
    return cases


def output_cases(module_name, argv_before, flag, argv_after=(), inputs=None):
    """The output-path cases of a CLI that writes a user-named file with `flag`."""
    base = list(argv_before)
    cases = []
    for name, files, target, pattern in [
            ("a directory", {"out": DIR}, "{tmp}/out", "is a directory"),
            ("a FIFO", {"out": FIFO}, "{tmp}/out", "not a regular file"),
            ("read-only", {"out": (b"keep", 0o444)}, "{tmp}/out", "read-only"),
            ("missing dir", {}, "{tmp}/no/such/out", "does not exist"),
            ("under a file", {"f": b"x"}, "{tmp}/f/out", "is not a directory")]:
        files = dict(files, **(inputs or {}))
        cases.append(Case("%s %s %s" % (module_name, flag, name), module_name, base + [flag, target] + list(argv_after),
                          files, 2, pattern))
    return cases


def run_dir_cases(module_name, base_argv):
    """A run dir that is a file, and one that cannot be created."""
    return [Case("%s --run-dir is a file" % module_name, module_name, base_argv + ["--run-dir", "{tmp}/f"],
                 {"f": b"x"}, 2, "not a directory"),
            Case("%s --run-dir under a file" % module_name, module_name, base_argv + ["--run-dir", "{tmp}/f/run"],
                 {"f": b"x"}, 2, "cannot create run dir")]


def all_cases():
    cases = []
    for module_name, base in sorted(TRAINING.items()):
        cases += schema_cases(module_name, base)
        cases += run_dir_cases(module_name, base)
        if module_name in DATA_FILES:
            cases += data_cases(module_name, base)
    cases += _dna_tools()
    cases += _gan_tools()
    cases += _dates_tools()
    cases += _mnist_tools()
    cases += _molecules_tools()
    return cases


def argparse_cases(module_name, base_argv, bad):
    """A CLI with a plain argparse parser: an unknown flag, plus (flag, value, pattern) triples of bad values."""
    cases = [Case("%s unknown flag" % module_name, module_name, base_argv + ["--bogus", "1"], {}, 2,
                  "unrecognized arguments: --bogus")]
    for flag, value, pattern in bad:
        cases.append(Case("%s %s=%s" % (module_name, flag, value), module_name, base_argv + [flag, value], {}, 2,
                          pattern))
    return cases


def _ints(flag, low, name=None):
    """Bad values of an integer flag that must be >= low: a fraction, a word, low - 1."""
    key = name or flag[2:].replace("-", "[-_]")
    return [(flag, "1.5", key), (flag, "abc", key), (flag, str(low - 1), key)]


def _dna_tools():
    return [
        Case("tf1_dna.translate bad letter", "tf1_dna.translate", ["--run-dir", "{tmp}/r", "--dna", "ATGQ"], {}, 2,
             "'Q' at position 4"),
        Case("tf1_dna.translate no run", "tf1_dna.translate", ["--run-dir", "{tmp}/r", "--dna", "ATG"], {}, 2,
             "no config.yaml"),
        Case("tf1_dna.translate binary fasta", "tf1_dna.translate", ["--run-dir", "{tmp}/r", "--fasta", "{tmp}/b"],
             {"b": b"\x00\xff"}, 2, "is not UTF-8 text"),
        Case("tf1_dna.probe no run", "tf1_dna.probe", ["--run-dir", "{tmp}/r"], {}, 2, "no config.yaml"),
        Case("tf1_dna.shapes bad shape", "tf1_dna.shapes", ["1,x,3"], {}, 2, "1,x,3"),
        Case("tf1_dna.make_data --width 0", "tf1_dna.make_data", ["--out", "{tmp}/o.fasta", "--width", "0"], {}, 2,
             "'width' must be"),
        Case("tf1_dna.make_data --lengths 1", "tf1_dna.make_data", ["--out", "{tmp}/o.fasta", "--lengths", "1"], {}, 2,
             "'lengths' must be"),
        Case("tf1_dna.translate --fasta missing", "tf1_dna.translate", ["--run-dir", "{tmp}/r", "--fasta",
             "{tmp}/nope"], {}, 2, "nope: cannot read: No such file"),
        Case("tf1_dna.probe --run-dir is a file", "tf1_dna.probe", ["--run-dir", "{tmp}/f"], {"f": b"x"}, 2,
             "no config.yaml|not a directory"),
        Case("tf1_dna.probe bad config.yaml", "tf1_dna.probe", ["--run-dir", "{tmp}/r"],
             {"r/config.yaml": b"hidden: [1,\n"}, 2, "config.yaml.*not valid YAML"),
        Case("tf1_dna.demo --run-dir is a file", "tf1_dna.demo", ["--run-dir", "{tmp}/f"], {"f": b"x"}, 2,
             "not a directory"),
        Case("tf1_dna.demo --run-dir under a file", "tf1_dna.demo", ["--run-dir", "{tmp}/f/run"], {"f": b"x"}, 2,
             "cannot create run dir"),
    ] + output_cases("tf1_dna.make_data", [], "--out") + schema_cases("tf1_dna.make_data", ["--out", "{tmp}/o.fasta"]) \
        + argparse_cases("tf1_dna.unseen", ["--out-dir", "{tmp}/u"], _ints("--hidden", 1) + [
            ("--seeds", "abc", "--seeds"), ("--seeds", "-1", "seed"), ("--activation", "bogus", "activation")]) \
        + argparse_cases("tf1_dna.bench", [], _ints("--threads", 0) + _ints("--epochs", 1)
                         + _ints("--translate-codons", 1, "translate[-_]codons")) \
        + argparse_cases("tf1_dna.demo", ["--run-dir", "{tmp}/d"], [])


def _gan_tools():
    train = ["--run-dir", "{tmp}/run", "--no-eval"]
    spec = b'{"ps": ["127.0.0.1:1"], "worker": ["127.0.0.1:2", "127.0.0.1:3"]}'
    # The cluster CLI's keys are refused before any server starts (its run dir is the chief's, behind a cluster).
    return schema_cases("tf1_gan.cluster.train", ["--cluster-spec", "{tmp}/cluster.json", "--run-dir", "{tmp}/run"]) + [
        Case("tf1_gan.train --num-train > N", "tf1_gan.train", train + ["--num-train", "100000"], {}, 2,
             "'num_train' \\(100000\\) exceeds"),
        Case("tf1_gan.train --num-towers 3", "tf1_gan.train", train + ["--num-towers", "3"], {}, 2,
             "'batch_size' \\(64\\) must split evenly over 'num_towers' \\(3\\)"),
        Case("tf1_gan.train --sn-scope d on dcgan_bn", "tf1_gan.train", train + ["--variant", "dcgan_bn", "--sn-scope",
             "d"], {}, 2, "only applies to a variant with spectral norm"),
        Case("tf1_gan.train idx dir missing", "tf1_gan.train", train + ["--data-source", "idx", "--data-dir",
             "{tmp}/nope"], {}, 2, "no train-images-idx3-ubyte"),
        Case("tf1_gan.train idx file garbage", "tf1_gan.train", train + ["--data-source", "idx", "--data-dir",
             "{tmp}/d"], {"d/train-images-idx3-ubyte": b"garbage", "d/train-labels-idx1-ubyte": b"x"}, 2,
             "train-images-idx3-ubyte"),
        Case("tf1_gan.cluster.train no spec", "tf1_gan.cluster.train", ["--run-dir", "{tmp}/run"], {}, 2,
             "--cluster-spec FILE.json is required"),
        Case("tf1_gan.cluster.train spec missing", "tf1_gan.cluster.train", ["--cluster-spec", "{tmp}/c.json"], {}, 2,
             "cannot read cluster spec"),
        Case("tf1_gan.cluster.train spec not JSON", "tf1_gan.cluster.train", ["--cluster-spec", "{tmp}/c.json"],
             {"c.json": b"{ps: 1"}, 2, "not valid JSON"),
        Case("tf1_gan.cluster.train task index", "tf1_gan.cluster.train", ["--cluster-spec", "{tmp}/c.json",
             "--task-index", "5"], {"c.json": spec}, 2, "out of range"),
        Case("tf1_gan.cluster.train batch over workers", "tf1_gan.cluster.train", ["--cluster-spec", "{tmp}/c.json",
             "--batch-size", "63"], {"c.json": spec}, 2, "split evenly over the 2 workers"),
        Case("tf1_gan.sample no run", "tf1_gan.sample", ["--run-dir", "{tmp}/r", "--out", "{tmp}/s.npy"], {}, 2,
             "no config.yaml"),
        Case("tf1_gan.sample --n 0", "tf1_gan.sample", ["--run-dir", "{tmp}/r", "--out", "{tmp}/s.npy", "--n", "0"],
             {}, 2, "'n' must be"),
        Case("tf1_gan.evaluate --n 1", "tf1_gan.evaluate", ["{tmp}", "--n", "1"], {}, 2, "--n: must be >= 2"),
        Case("tf1_gan.compare no run", "tf1_gan.compare", ["{tmp}/r", "--out", "{tmp}/o"], {}, 2, "no config.yaml"),
        Case("tf1_gan.diagnose nothing", "tf1_gan.diagnose", [], {}, 2, "give --variant or --run-dir"),
        Case("tf1_gan.diagnose --n 1", "tf1_gan.diagnose", ["--variant", "linear", "--n", "1"], {}, 2, "'n' must be"),
        Case("tf1_gan.demo --epochs 0", "tf1_gan.demo", ["--epochs", "0"], {}, 2, "'epochs' must be"),
        Case("tf1_gan.cluster.demo --workers 0", "tf1_gan.cluster.demo", ["--workers", "0", "--run-dir", "{tmp}/c"],
             {}, 2, "'workers' must be"),
        Case("tf1_gan.cluster.demo batch over workers", "tf1_gan.cluster.demo", ["--workers", "3", "--run-dir",
             "{tmp}/c"], {}, 2, "must split evenly over 'workers'"),
        Case("tf1_gan.bench --steps 0", "tf1_gan.bench.steps", ["--steps", "0"], {}, 2, "'steps' must be"),
        Case("tf1_gan.bench.towers --num-towers 0", "tf1_gan.bench.towers", ["--num-towers", "0"], {}, 2,
             "'num_towers' must hold integers >= 1"),
        Case("tf1_gan.bench.conv --repeats 0", "tf1_gan.bench.conv", ["--repeats", "0"], {}, 2, "'repeats' must be"),
        Case("tf1_gan.evaluate run dir missing", "tf1_gan.evaluate", ["{tmp}/nope"], {}, 2, "nope"),
        Case("tf1_gan.evaluate --n abc", "tf1_gan.evaluate", ["{tmp}", "--n", "abc"], {}, 2, "--n"),
        Case("tf1_gan.compare --out under a file", "tf1_gan.compare", ["{tmp}/r", "--out", "{tmp}/f/o"],
             {"f": b"x"}, 2, "no config.yaml|is not a directory"),
    ] + output_cases("tf1_gan.sample", ["--run-dir", "{tmp}/r"], "--out") \
        + schema_cases("tf1_gan.sample", ["--run-dir", "{tmp}/r", "--out", "{tmp}/s.npy"]) \
        + schema_cases("tf1_gan.diagnose", ["--variant", "linear"]) \
        + schema_cases("tf1_gan.demo", []) \
        + schema_cases("tf1_gan.cluster.demo", ["--run-dir", "{tmp}/c"]) \
        + schema_cases("tf1_gan.bench.steps", []) + schema_cases("tf1_gan.bench.conv", []) \
        + schema_cases("tf1_gan.bench.towers", [])
DATES_INPUT = b"[WED] [JAN] [False] [180]\n[MON] [DEC] [True] [196]\n"


def _dates_tools():
    """predict.py (the grader's `-i IN -o OUT`), score, evaluate_weights, bench, datagen."""
    predict = ["-i", "{tmp}/in.txt", "-o", "{tmp}/out.txt"]
    inputs = {"in.txt": DATES_INPUT}
    cases = schema_cases("tf1_dates.predict", predict)
    for name, content, pattern in [
            ("form feed", b"[WED] [JAN]\x0c[False] [180]\n", r"in.txt:1: '\[WED\] \[JAN\]\\x0c\[False\] \[180\]': "
                                                             r"character U\+000C"),
            ("NEL", "[WED] [JAN] [False]\x85[180]\n".encode(), r"in.txt:1: .*U\+0085"),
            ("lone CR", b"[WED] [JAN] [False]\r[180]\n", r"in.txt:1: .*U\+000D"),
            ("bad token", DATES_INPUT + b"[WED] [JANUARY] [False] [180]\n", r"in.txt:3: .*unknown month token"),
            ("3 fields", b"[WED] [JAN] [False]\n", r"in.txt:1: .*expected 4 condition tokens"),
            ("binary", b"\x00\xff\xfe\x00garbage", r"in.txt:1: not UTF-8 text")]:
        cases.append(Case("tf1_dates.predict -i %s" % name, "tf1_dates.predict", predict, {"in.txt": content}, 2,
                          pattern))
    cases += [
        Case("tf1_dates.predict -i missing", "tf1_dates.predict", predict, {}, 2, "in.txt: cannot read: No such file"),
        Case("tf1_dates.predict -i dir", "tf1_dates.predict", predict, {"in.txt": DIR}, 2, "is a directory"),
        Case("tf1_dates.predict -o is -i", "tf1_dates.predict", ["-i", "{tmp}/in.txt", "-o", "{tmp}/in.txt"], inputs, 2,
             "is the input file"),
        Case("tf1_dates.predict --weights not weights", "tf1_dates.predict", predict + ["--weights", "{tmp}/w"],
             dict(inputs, w=DIR), 2, "neither a weights dir"),
        Case("tf1_dates.predict --weights bad hparams", "tf1_dates.predict", predict + ["--weights", "{tmp}/w"],
             dict(inputs, **{"w/hparams.json": b'{"hidden": -3, "layers": 1, "rank": 0, "periodic": false, '
                                               b'"dropout": 0.0, "split": {}}'}), 2,
             r"w/hparams.json: config key 'hidden' must be an integer >= 1, got -3"),
        Case("tf1_dates.predict --weights hparams without split", "tf1_dates.predict",
             predict + ["--weights", "{tmp}/w"],
             dict(inputs, **{"w/hparams.json": b'{"hidden": 8, "layers": 1, "rank": 0, "periodic": false, '
                                               b'"dropout": 0.0}'}), 2,
             r"w/hparams.json: key 'split.val_frac', 'split.test_frac', 'split.seed' missing"),
        Case("tf1_dates.predict --weights no checkpoint", "tf1_dates.predict", predict + ["--weights", "{tmp}/w"],
             dict(inputs, **{"w/hparams.json": b'{"hidden": 8, "layers": 1, "rank": 0, "periodic": false, '
                                               b'"dropout": 0.0, "split": {"val_frac": 0.0, "test_frac": 0.0, '
                                               b'"seed": 0}}'}), 2, "cannot load weights from"),
        Case("tf1_dates.score missing", "tf1_dates.score", ["{tmp}/p.txt"], {}, 2, "p.txt: cannot read"),
        Case("tf1_dates.score binary", "tf1_dates.score", ["{tmp}/p.txt"], {"p.txt": b"\x00\xff"}, 2, "not UTF-8 text"),
        Case("tf1_dates.score --json is the input", "tf1_dates.score", ["{tmp}/p.txt", "--json", "{tmp}/p.txt"],
             {"p.txt": b"[WED] [JAN] [False] [180] 1-1-1800\n"}, 2, "is the input file"),
        Case("tf1_dates.score line counts differ", "tf1_dates.score", ["{tmp}/p.txt", "--input", "{tmp}/in.txt"],
             dict(inputs, **{"p.txt": b"[WED] [JAN] [False] [180] 1-1-1800\n"}), 2, "2 input lines but 1 output"),
        Case("tf1_dates.datagen --out-dir is a file", "tf1_dates.datagen", ["--out-dir", "{tmp}/f"], {"f": b"x"}, 2,
             "exists and is not a directory"),
        Case("tf1_dates.datagen data.txt is a FIFO", "tf1_dates.datagen", ["--out-dir", "{tmp}/d"],
             {"d/data.txt": FIFO}, 2, "not a regular file"),
        Case("tf1_dates.datagen read-only data.txt", "tf1_dates.datagen", ["--out-dir", "{tmp}/d"],
             {"d/data.txt": (b"old", 0o444)}, 2, "read-only"),
        Case("tf1_dates.evaluate_weights --weights not weights", "tf1_dates.evaluate_weights",
             ["--weights", "{tmp}/w"], {"w": DIR}, 2, "neither a weights dir"),
        Case("tf1_dates.bench --weights missing", "tf1_dates.bench", ["--weights", "{tmp}/w"], {}, 2,
             "no such directory"),
    ]
    cases += output_cases("tf1_dates.predict", ["-i", "{tmp}/in.txt"], "-o", inputs=inputs)
    cases += output_cases("tf1_dates.score", ["{tmp}/in.txt"], "--json", inputs=inputs)
    cases += output_cases("tf1_dates.evaluate_weights", [], "--json")
    for module in ("tf1_dates.evaluate_weights", "tf1_dates.bench", "tf1_dates.datagen", "tf1_dates.demo"):
        cases += schema_cases(module, [])
    return cases


def _mnist_tools():
    """course_check, bench, experiments, classifier, demo (report is a script without main())."""
    experiments = ["--out-dir", "{tmp}/x", "--threads", "1"]
    return argparse_cases("tf1_mnist.course_check", [], _ints("--threads", 0)) \
        + argparse_cases("tf1_mnist.bench", [], []) + argparse_cases("tf1_mnist.demo", [], []) \
        + argparse_cases("tf1_mnist.experiments", experiments, _ints("--epochs", 1) + _ints("--tuned-epochs", 1)
                         + [("--learning-rates", v, "learning[-_]rates") for v in ("nan", "0", "-1", "abc")]
                         + [("--regs", v, "regs") for v in ("nan", "-1")]
                         + [("--grid-learning-rates", "0", "grid[-_]learning[-_]rates"),
                            ("--grid-hidden-sizes", "0", "grid[-_]hidden[-_]sizes"),
                            ("--grid-batch-sizes", "0", "grid[-_]batch[-_]sizes"),
                            ("--threads", "-1", "threads"), ("--seeds", "abc", "seeds"),
                            ("--data-source", "bogus", "data[-_]source")]) + [
        Case("tf1_mnist.experiments --config bad YAML", "tf1_mnist.experiments",
             experiments + ["--config", "{tmp}/c.yaml"], {"c.yaml": b"epochs: [1,\n"}, 2, "not valid YAML"),
        Case("tf1_mnist.experiments --config duplicate key", "tf1_mnist.experiments",
             experiments + ["--config", "{tmp}/c.yaml"], {"c.yaml": b"epochs: 1\nepochs: 2\n"}, 2,
             "duplicate key 'epochs'"),
        Case("tf1_mnist.experiments --out-dir under a file", "tf1_mnist.experiments",
             ["--out-dir", "{tmp}/f/x", "--threads", "1", "--epochs", "1", "--no-search"], {"f": b"x"}, 2,
             "cannot create run dir .*: Not a directory"),
        Case("tf1_mnist.classifier no run", "tf1_mnist.classifier", ["--run-dir", "{tmp}/r"], {}, 2,
             "no config.yaml|no checkpoint"),
        Case("tf1_mnist.classifier --data-source bogus", "tf1_mnist.classifier", ["--run-dir", "{tmp}/r",
             "--data-source", "bogus"], {}, 2, "data[-_]source|no config.yaml"),
        Case("tf1_mnist.classifier unknown flag", "tf1_mnist.classifier", ["--run-dir", "{tmp}/r", "--bogus", "1"],
             {}, 2, "unrecognized arguments: --bogus"),
        Case("tf1_mnist.cnn --eval-only no run", "tf1_mnist.cnn", ["--eval-only", "--run-dir", "{tmp}/r"], {}, 2,
             "no config.yaml|no checkpoint"),
    ]


def _molecules_tools():
    """demo (train's keys), bench, qm9 (the npz builder), qm9_report, exam."""
    return [c for c in schema_cases("tf1_molecules.demo", ["--run-dir", "{tmp}/run", "--threads", "1"],
                                "tf1_molecules.train")  # train's keys: the ones the demo overrides, and the YAML
           if not c.id.startswith("tf1_molecules.demo --") or c.id.split()[1].split("=")[0] in (
               "--steps", "--eval-every", "--ckpt-every", "--config", "--lr")] \
        + argparse_cases("tf1_molecules.bench", [], _ints("--threads", 0) + _ints("--repeats", 1)
                         + _ints("--batch-size", 1) + _ints("--width", 1) + _ints("--num-blocks", 1)
                         + _ints("--table-size", 0) + [("--dataset", "bogus", "--dataset")]) \
        + argparse_cases("tf1_molecules.exam", [], []) \
        + argparse_cases("tf1_molecules.qm9_report", ["--runs", "{tmp}/runs", "--out", "{tmp}/o"],
                         [("--baselines-only", "abc", "--baselines-only"),
                          ("--baselines-only", "0", "SIZE must be >= 1"),
                          ("--baselines-only", "-5", "SIZE must be >= 1")]) + [
        Case("tf1_molecules.qm9_report no runs", "tf1_molecules.qm9_report", ["--runs", "{tmp}/runs", "--out",
             "{tmp}/o"], {}, 2, "no finished QM9 runs"),
        Case("tf1_molecules.qm9_report --data-path missing", "tf1_molecules.qm9_report", ["--runs", "{tmp}/runs",
             "--data-path", "{tmp}/nope.npz", "--baselines-only", "100"], {}, 2, "nope.npz"),
        Case("tf1_molecules.qm9_report --data-path garbage", "tf1_molecules.qm9_report", ["--runs", "{tmp}/runs",
             "--data-path", "{tmp}/q.npz", "--baselines-only", "100"], {"q.npz": b"garbage"}, 2, "q.npz"),
        Case("tf1_molecules.qm9 --wheel missing", "tf1_molecules.qm9", ["--wheel", "{tmp}/w.whl", "--out",
             "{tmp}/o"], {}, 2, "w.whl"),
        Case("tf1_molecules.qm9 --wheel garbage", "tf1_molecules.qm9", ["--wheel", "{tmp}/w.whl", "--out",
             "{tmp}/o"], {"w.whl": b"garbage"}, 2, "w.whl"),
        Case("tf1_molecules.qm9 --wheel dir", "tf1_molecules.qm9", ["--wheel", "{tmp}/w", "--out", "{tmp}/o"],
             {"w": DIR}, 2, "w"),
        Case("tf1_molecules.qm9 --expect abc", "tf1_molecules.qm9", ["--wheel", "{tmp}/w.whl", "--expect", "abc"],
             {}, 2, "--expect"),
        Case("tf1_molecules.qm9 --expect 0", "tf1_molecules.qm9", ["--wheel", "{tmp}/w.whl", "--out", "{tmp}/o",
             "--expect", "0"], {}, 2, "expect"),
        Case("tf1_molecules.qm9_train no npz", "tf1_molecules.qm9_train", ["--run-dir", "{tmp}/run",
             "--data-path", "{tmp}/nope.npz"], {}, 2, "nope.npz"),
        Case("tf1_molecules.qm9_train garbage npz", "tf1_molecules.qm9_train", ["--run-dir", "{tmp}/run",
             "--data-path", "{tmp}/q.npz"], {"q.npz": b"garbage"}, 2, "q.npz: not an npz of `make qm9`"),
        Case("tf1_molecules.train --num-systems < batch", "tf1_molecules.train", TRAINING["tf1_molecules.train"]
             + ["--num-systems", "3"], {}, 2, "num[-_]systems|batch[-_]size"),
        Case("tf1_molecules.train --num-systems 2", "tf1_molecules.train", TRAINING["tf1_molecules.train"]
             + ["--num-systems", "2"], {}, 2, "leaves an empty split"),
        Case("tf1_molecules.train --min-distance too large", "tf1_molecules.train", TRAINING["tf1_molecules.train"]
             + ["--min-distance", "10"], {}, 2, "min_distance 10.00 do not fit"),
    ]
