"""`python -m tf1_gan.bench`: the train step's images/s per variant (tf1_gan/bench/steps.py)."""
import sys

from tf1_gan.bench import steps

if __name__ == "__main__":
    sys.exit(steps.main())
