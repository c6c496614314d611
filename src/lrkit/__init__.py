"""lrkit: measure the learning rate instead of guessing it."""

__version__ = "0.1.0"
