"""Run by test_exam_torch.py with .venv-torch's Python: checks tf1_molecules/exam_torch.py against TF1 outputs.

    python torch_exam_check.py CASE.npz EXAM_TORCH.py

CASE.npz holds the TF1 PropertyPredictor(layout="exam") weights (keys = TF variable names), inputs r, f
and outputs y. Prints one JSON line of the largest differences; exits 1 if one exceeds its tolerance.
"""
import importlib.util
import json
import sys

import numpy as np
import torch

TF_TO_TORCH = {  # TF dense kernel is (in, out); torch.nn.Linear.weight is (out, in)
    "property_predictor/message_passing/phi/hidden": "message_passing.phi.0",
    "property_predictor/message_passing/phi/output": "message_passing.phi.2",
    "property_predictor/pointwise_convolution/psi/hidden": "pointwise.psi.0",
    "property_predictor/pointwise_convolution/psi/output": "pointwise.psi.2",
}


def main(case_path, module_path):
    spec = importlib.util.spec_from_file_location("exam_torch", module_path)
    exam = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(exam)
    case = np.load(case_path)
    r = torch.tensor(case["r"], dtype=torch.float64)
    f = torch.tensor(case["f"], dtype=torch.float64)
    _, n, features = f.shape
    model = exam.PropertyPredictor(n, features, 1).double()
    state = {}
    for tf_name, torch_name in TF_TO_TORCH.items():
        state[torch_name + ".weight"] = torch.tensor(case[tf_name + "/kernel"].T, dtype=torch.float64)
        state[torch_name + ".bias"] = torch.tensor(case[tf_name + "/bias"], dtype=torch.float64)
    model.load_state_dict(state)  # strict: every parameter of the answer gets a TF1 value
    with torch.no_grad():
        y = model(r, f).numpy()
        rot, _ = np.linalg.qr(np.random.RandomState(0).normal(size=(3, 3)))
        moved = torch.tensor(case["r"] @ rot.T + np.array([1.5, -2.0, 0.7]))
        perm = torch.tensor(np.random.RandomState(1).permutation(n))
        y_moved = model(moved, f).numpy()
        y_perm = model(r[:, perm], f[:, perm]).numpy()
    out = {"max_abs_diff_tf": float(np.abs(y - case["y"]).max()),
           "max_abs_diff_rot_trans": float(np.abs(y_moved - y).max()),
           "max_abs_diff_perm": float(np.abs(y_perm - y).max()),
           "shape": list(y.shape), "scale": float(np.abs(y).max())}
    print(json.dumps(out))
    tol = 1e-4 * max(1.0, out["scale"])
    ok = (out["max_abs_diff_tf"] < tol and out["max_abs_diff_rot_trans"] < 1e-6 * max(1.0, out["scale"])
          and out["max_abs_diff_perm"] < 1e-6 * max(1.0, out["scale"]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
