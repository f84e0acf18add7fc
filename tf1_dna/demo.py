"""End-to-end demo (a few seconds): train 1000 epochs, translate, probe the proline codons, check shapes.

    python -m tf1_dna.demo [--run-dir runs/tf1_dna/demo]

Starts from scratch each time (the demo run dir is removed first) and prints where its outputs are.
"""
import os
import shutil
import sys


from common import cli, config, run
from tf1_dna import data, probe, shapes, train, translate
from tf1_dna import task as dna_task


@cli.entry_point
def main(argv=None):
    parser = config.arg_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--run-dir", default=run.default_run_dir("tf1_dna", "demo"), help="the demo's run dir")
    args = parser.parse_args(argv)
    run_dir = args.run_dir
    # Only ever remove a previous demo run (it has config.yaml), never an arbitrary directory.
    if os.path.isdir(run_dir):
        if not os.path.exists(os.path.join(run_dir, "config.yaml")):
            sys.stderr.write("error: %s exists and is not a tf1_dna run; choose another --run-dir\n" % run_dir)
            return 2
        shutil.rmtree(run_dir)

    print("== 1. train (handout pseudo-code, 1000 epochs) ==")
    metrics = train.train(train.SCHEMA.make(run_dir=run_dir))

    print("\n== 2. translate a fresh ORF made of seen codons, plus CCA and CCG (never seen) ==")
    pairs = data.read_pairs(dna_task.DEFAULT_FASTA)
    orf = dna_task.fresh_orfs(dna_task.learned_code(pairs), 1, 12, seed=7)[0]
    dna = orf.dna[:-3] + "CCACCG" + orf.dna[-3:]
    print("DNA:      %s\nstandard: %s" % (dna, data.translate_standard(dna)))
    translate.main(["--run-dir", run_dir, "--dna", dna])

    print("\n== 3. probe: proline codons (question 4e) ==")
    probe.probe(run_dir, log=lambda line: print(line) if not line.startswith("|") else None)

    print("\n== 4. which input shapes work (question 4e) ==")
    shapes.main([])

    print("\noutputs in %s: metrics.json, loss.png, probe_proline.png, probe_codons.md, checkpoints/, events"
          % run_dir)
    print("codon accuracy: training %.4f, fresh ORFs %.4f; 1000 epochs took %.1f s"
          % (metrics["train_codon_accuracy"], metrics["fresh_orf_codon_accuracy"],
             metrics["train_seconds_this_invocation"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
