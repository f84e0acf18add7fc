"""collect_submission.sh: the zip holds the skeleton's files at the course's paths and runs on its own.

The zip is unpacked in a temp dir, our contract suite and fixtures are put where a student puts the course's
(`tests/test_contract.py`, `tests/<dir>/<file>.npy`), and `python -m unittest tests.test_contract` runs
there with no PYTHONPATH: every import must resolve inside the unpacked zip.
"""
import json
import os
import shutil
import subprocess
import sys
import zipfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONTRACT = os.path.join(REPO, "tests", "tf1_mnist", "contract")
SKELETON = {"configs/config_exp.yaml", "configs/config_softmax.yaml", "configs/config_twolayer.yaml",
            "models/__init__.py", "models/_base_network.py", "models/softmax_regression.py",
            "models/two_layer_nn.py", "optimizer/__init__.py", "optimizer/_base_optimizer.py", "optimizer/sgd.py",
            "utils.py", "main.py"}


def _clean_env():
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHON"] = sys.executable
    return env


def test_submission_zip_layout_and_contract_suite_inside(tmp_path):
    out = tmp_path / "assignment_1_submission.zip"
    proc = subprocess.run(["bash", os.path.join(REPO, "tf1_mnist", "collect_submission.sh"), str(out)],
                          env=_clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(str(out)) as archive:
        names = {n for n in archive.namelist() if not n.endswith("/")}
        archive.extractall(str(tmp_path / "unpacked"))
    assert SKELETON <= names
    extra = names - SKELETON
    assert {n.split("/")[0] for n in extra} <= {"configs", "common", "data"}, extra
    assert "common/mnist.py" in extra and "data/mnist10k/train-images-idx3-ubyte.gz" in extra
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)

    root = tmp_path / "unpacked"
    shutil.copytree(os.path.join(CONTRACT, "fixtures"), str(root / "tests"))
    shutil.copy(os.path.join(CONTRACT, "course_contract.py"), str(root / "tests" / "test_contract.py"))
    run = subprocess.run([sys.executable, "-m", "unittest", "tests.test_contract"], cwd=str(root), env=_clean_env(),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout == "" and "Ran 17 tests" in run.stderr

    # The course's entry point works in the course layout too: python main.py --config configs/<name>.yaml
    main = subprocess.run([sys.executable, "main.py", "--config", "configs/config_softmax.yaml", "--epochs", "1",
                           "--run-dir", "runs/softmax"], cwd=str(root), env=_clean_env(),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=300)
    assert main.returncode == 0, main.stderr
    with open(str(root / "runs" / "softmax" / "metrics.json")) as handle:
        metrics = json.load(handle)
    assert metrics["num_train"] == 6400 and metrics["test_accuracy"] > 0.3
