"""A weights folder from a finished QM9 run: `python -m tf1_molecules.qm9_export --run-dir RUN --out DIR`.

DIR gets what `python -m tf1_molecules.predict --weights DIR` needs and nothing else: the run's `config.yaml`,
its `metrics.json` (the target's standardisation, the test and validation errors, the training budget) and one
checkpoint of the predictor's variables at the run's last step (`checkpoints/`, no optimiser state). A run whose
weights are not all finite is refused. DIR must not exist yet or be an earlier export (it is replaced as a whole).
"""
import argparse
import os
import shutil
import sys

from common import cli, errors, files, inputs


def export(run_dir, out):
    """Writes the weights folder `out` from `run_dir`; returns the exported step."""
    import tensorflow as tf  # noqa: WPS433
    from common import inference, run_files  # noqa: WPS433
    from tf1_molecules import qm9_graph, qm9_task
    if not os.path.exists(os.path.join(run_dir, "metrics.json")):
        raise errors.UserError("%s has no metrics.json: export a finished run" % run_dir)
    metrics = files.read_json(os.path.join(run_dir, "metrics.json"))
    if metrics.get("dataset") != "qm9":
        raise errors.UserError("%s is not a QM9 run (its metrics.json has no dataset 'qm9')" % run_dir)
    if os.path.exists(out) and not os.path.exists(os.path.join(out, "metrics.json")):
        raise errors.UserError("--out %s exists and is not a weights folder: name a new folder" % out)
    inputs.declare(os.path.join(out, ""))  # the output must not be (or be inside) what the command reads
    real_out, real_run = os.path.realpath(out), os.path.realpath(run_dir)
    if real_out == real_run or real_out.startswith(real_run + os.sep):
        raise errors.UserError("--out %s lies inside the run dir it exports" % out)
    with files.staged_folder(out, ".export.") as staging:
        saver = {}

        def build(cfg):
            outputs = qm9_graph.build_inference(cfg)
            saver["ckpt"] = run_files.Checkpointer(os.path.join(staging, "checkpoints"),
                                                   var_list=tf.get_collection("predictor_variables"), keep=1)
            return outputs

        restored = inference.restore(run_dir, build, schema=qm9_task.SCHEMA,
                                     var_list=lambda graph: graph.get_collection("predictor_variables"))
        with restored:
            saver["ckpt"].save(restored.session, restored.step)
        shutil.copyfile(os.path.join(run_dir, "config.yaml"), os.path.join(staging, "config.yaml"))
        files.write_json(os.path.join(staging, "metrics.json"), metrics)
    return restored.step


@cli.entry_point
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--run-dir", required=True, help="a finished run of tf1_molecules.qm9_train")
    parser.add_argument("--out", required=True, help="the weights folder to write")
    args = parser.parse_args(argv)
    step = export(args.run_dir, args.out)
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(args.out) for f in fs)
    print("wrote %s: the predictor at step %d, %.0f kB" % (args.out, step, size / 1024.0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
