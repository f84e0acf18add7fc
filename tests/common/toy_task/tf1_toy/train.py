"""Trains the toy task: `python -m tf1_toy.train` (with tests/common/toy_task on the path)."""
import sys

from tf1_toy.task import TRAINER

main = TRAINER.main

if __name__ == "__main__":
    sys.exit(main())
