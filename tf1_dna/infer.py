"""Restores a trained run for inference: one graph built once, BN on its moving statistics."""
import os

import numpy as np
import tensorflow as tf

from common import config, run, training
from tf1_dna import data, model


class Translator(object):
    """Loads `run_dir`'s config and newest checkpoint; `probs(dna)` / `translate(dna)` run the network.

    Use as a context manager (closes the session). Raises FileNotFoundError without a checkpoint.
    """

    def __init__(self, run_dir, threads=1):
        self.run_dir = run_dir
        self.config = config.load_run_config(run_dir)
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.net = model.build_inference_graph(self.config["hidden"], self.config["activation"])
            self._ckpt = run.Checkpointer(os.path.join(run_dir, "checkpoints"))
        self.graph.finalize()
        self.session = tf.Session(graph=self.graph, config=training.session_config(threads))
        self.epoch = self._ckpt.restore(self.session)

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

    def close(self):
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
