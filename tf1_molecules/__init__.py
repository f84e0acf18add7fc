"""Seed 003 part V: a Euclidean message passing network that predicts one property per point cloud."""
