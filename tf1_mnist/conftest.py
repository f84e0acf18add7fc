"""pytest: tf1_mnist/tests/ is a student's copy of the course's public tests (git-ignored, run with
`python -m unittest tests.<name>` from this folder), never part of our suite; ours live in tests/tf1_mnist/."""
collect_ignore = ["tests"]
