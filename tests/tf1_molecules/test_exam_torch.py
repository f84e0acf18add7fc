"""tf1_molecules/exam_torch.py (the exam's PyTorch answer) equals the TF1 PropertyPredictor(layout="exam").

The TF1 side runs here (Python 3.6); torch runs in .venv-torch (`make .venv-torch/.installed`, Python >= 3.10)
through tests/tf1_molecules/torch_exam_check.py, fed a temp .npz of weights, inputs and TF1 outputs.
"""
import json
import os
import subprocess

import numpy as np
import pytest
import tensorflow as tf

from tf1_molecules import model

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TORCH_PY = os.path.join(ROOT, ".venv-torch", "bin", "python")
CHECKER = os.path.join(ROOT, "tests", "tf1_molecules", "torch_exam_check.py")
EXAM_TORCH = os.path.join(ROOT, "tf1_molecules", "exam_torch.py")


def test_exam_torch_is_not_imported_by_the_package():
    for name in os.listdir(os.path.join(ROOT, "tf1_molecules")):
        if name.endswith(".py") and name != "exam_torch.py":
            with open(os.path.join(ROOT, "tf1_molecules", name)) as handle:
                text = handle.read()
            assert "import torch" not in text and "exam_torch" not in text.replace("`exam_torch.py`", ""), name


def _tf_case(path, batch=4, n=6, features=3):
    rng = np.random.RandomState(0)
    r = rng.normal(scale=1.5, size=(batch, n, 3))
    f = rng.uniform(size=(batch, n, features))
    with tf.Graph().as_default():
        predictor = model.PropertyPredictor(n, features, 1, layout="exam")
        y = predictor(tf.constant(r, tf.float32), tf.constant(f, tf.float32))
        variables = predictor.variables
        # Random values everywhere (the zero-initialised output layer too), so every weight matters.
        assigns = [v.assign(rng.normal(scale=0.5, size=v.shape.as_list())) for v in variables]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(assigns)
            values, y_val = sess.run([variables, y])
    arrays = {v.op.name: value for v, value in zip(variables, values)}
    assert sorted(arrays) == sorted(
        "property_predictor/%s/%s/%s/%s" % (layer, mlp, dense, kind)
        for layer, mlp in (("message_passing", "phi"), ("pointwise_convolution", "psi"))
        for dense in ("hidden", "output") for kind in ("kernel", "bias"))
    np.savez(path, r=r.astype(np.float32).astype(np.float64), f=f.astype(np.float32).astype(np.float64),
             y=y_val, **arrays)


@pytest.mark.skipif(not os.path.exists(TORCH_PY), reason=".venv-torch is absent (make .venv-torch/.installed)")
def test_exam_torch_matches_tf1_and_is_invariant(tmp_path):
    case = str(tmp_path / "case.npz")
    _tf_case(case)
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    proc = subprocess.run([TORCH_PY, CHECKER, case, EXAM_TORCH], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, env=env, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["shape"] == [4, 1]
    assert result["max_abs_diff_tf"] < 1e-4 * max(1.0, result["scale"]), result
    assert result["max_abs_diff_rot_trans"] < 1e-6 * max(1.0, result["scale"]), result
    assert result["max_abs_diff_perm"] < 1e-6 * max(1.0, result["scale"]), result
    assert proc.returncode == 0, proc.stdout
