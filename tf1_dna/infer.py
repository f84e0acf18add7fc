"""Restores a trained run for inference (`Translator`): one graph built once, BN on its moving statistics.

A library module: `python -m tf1_dna.translate` is its command line (`python -m tf1_dna.infer` says so, exit 2:
common/cli.py).
"""
import numpy as np

from common import inference
from tf1_dna import data, model
from tf1_dna import task as dna_task


class Translator(inference.SessionOwner):
    """Loads `run_dir`'s config and newest checkpoint; `probs(dna)` / `translate(dna)` run the network.

    Use as a context manager (closes the session). Raises config.ConfigError for a missing or hand-broken
    config.yaml and run.RunError without a readable checkpoint.
    """

    def __init__(self, run_dir, threads=1):
        self.run_dir = run_dir
        restored = inference.restore(run_dir, lambda cfg: model.build_inference_graph(cfg.hidden, cfg.activation),
                                     schema=dna_task.SCHEMA, threads=threads)
        self.config, self.graph, self.net = restored.config, restored.graph, restored.outputs
        self.session, self.epoch = restored.session, restored.step

    def probs(self, dna):
        """(21, len(dna) // 3) float array of amino-acid distributions for a DNA string."""
        return self.session.run(self.net.probs, {self.net.dna: data.dna_one_hot(dna)})[0]

    def translate(self, dna):
        """The predicted protein string for a DNA string."""
        return data.probs_to_protein(self.probs(dna))

    def codon_table(self):
        """(64, 21) distributions for data.CODONS, computed as one 192-nt sequence.

        In inference mode each output position depends on its codon only, so one long input equals 64
        separate (1, 4, 3) inputs (tests check this).
        """
        return np.transpose(self.probs("".join(data.CODONS)))
