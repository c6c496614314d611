"""The names of the search strategies: a module of its own so `lrkit sweep --help` lists them
without importing Optuna or torch."""

STRATEGIES = ("grid", "random", "descending", "sha", "asha", "hyperband", "tpe")
