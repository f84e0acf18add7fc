"""Seed 004 question 4: learn DNA -> protein translation with a stride-3 Conv1d network (TF 1.15 graphs)."""
