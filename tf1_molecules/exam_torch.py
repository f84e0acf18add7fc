"""Exam part V (A)-(C) in PyTorch, as the exam's templates ask: Euclidean message passing.

A standalone answer file: nothing in the package imports it (torch is not a dependency of any task).
It computes exactly what `tf1_molecules/model.py` computes with `PropertyPredictor(..., layout="exam")`;
`tests/tf1_molecules/test_exam_torch.py` copies the TF1 weights into it and compares the outputs.

Shapes: B systems (batch), N particles, F input features, F' output features.
"""
import torch

HIDDEN = 128  # the exam fixes one hidden layer of 128 softplus units for both psi and phi


class PointwiseConvolutionLayer(torch.nn.Module):
    """(A) f'_j = psi(f_bar_j): one MLP psi: R^F -> R^F', shared by all particles (eq. 2)."""

    def __init__(self, N, F, F_prime):
        super().__init__()
        self.N, self.F, self.F_prime = N, F, F_prime
        self.psi = torch.nn.Sequential(
            torch.nn.Linear(F, HIDDEN),
            torch.nn.Softplus(),
            torch.nn.Linear(HIDDEN, F_prime),
        )

    def forward(self, f_bar_batch):
        # (B, N, F) -> (B, N, F'). nn.Linear acts on the last axis, so the same weights are applied
        # to every particle of every system: psi is shared across particles.
        return self.psi(f_bar_batch)


class MessagePassingLayer(torch.nn.Module):
    """(B) f_bar_jk = rho(sum_i phi(d_ji)_k f_ik) with phi: R -> R^F shared by all pairs (eq. 1)."""

    def __init__(self, N, F):
        super().__init__()
        self.N, self.F = N, F
        self.phi = torch.nn.Sequential(
            torch.nn.Linear(1, HIDDEN),
            torch.nn.Softplus(),
            torch.nn.Linear(HIDDEN, F),
        )
        self.rho = torch.nn.Softplus()

    def forward(self, r_batch, f_batch):
        # the following line will compute pairwise distances
        # of shape (B, N, N) when given input tensors of shape (B, N, 3)
        d = torch.cdist(r_batch, r_batch)
        # phi maps every entry d_ji (a scalar) to an F-vector: (B, N, N) -> (B, N, N, 1) -> (B, N, N, F).
        d_prime = self.phi(d.unsqueeze(-1))
        # sum over the neighbour index i of d'_{j,i,k} * f_{i,k}, for every particle j and feature k
        messages = torch.einsum("bjik,bik->bjk", d_prime, f_batch)      # (B, N, F)
        return self.rho(messages)


class PropertyPredictor(torch.nn.Module):
    """(C) One scalar (F' = 1) per system: message passing, point-wise convolution, sum over particles."""

    def __init__(self, N, F, F_prime=1):
        super().__init__()
        self.message_passing = MessagePassingLayer(N, F)
        self.pointwise = PointwiseConvolutionLayer(N, F, F_prime)

    def forward(self, r_batch, f_batch):
        f_bar = self.message_passing(r_batch, f_batch)                  # (B, N, F)
        f_prime = self.pointwise(f_bar)                                 # (B, N, F')
        return f_prime.sum(dim=1)                                       # (B, F'): sum over particles


# Why the prediction is invariant (C):
# * Rotations and translations: positions enter only through the distances d_ij = |r_i - r_j|, and
#   |(Q r_i + t) - (Q r_j + t)| = |Q (r_i - r_j)| = |r_i - r_j| for any rotation (or reflection) Q and
#   shift t, so every later number is unchanged.
# * Permutations: relabelling the particles permutes the rows and columns of d and the rows of f alike.
#   psi and phi act on each particle / pair separately and the message is a sum over all neighbours i,
#   so each layer only permutes its output rows (equivariance); the final sum over particles does not
#   depend on their order (invariance). Two particles with the same features can thus be swapped.
