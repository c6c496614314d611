"""A family of small tasks for honest measurement, split once into design and test tasks.

`tasks.py` defines the tasks (and is the file lrkit loads them from), `split.py` the frozen
split and the quick subset, `data.py` and `models.py` what the tasks are made of. The benchmarks
take `--suite [--quick] [--split design|test|both]` or `suite:NAME` task references.
"""

from suite.split import PREFIX, QUICK, SPLITS, groups, is_suite, names, ref, resolve, split_of

__all__ = ["PREFIX", "QUICK", "SPLITS", "groups", "is_suite", "names", "ref", "resolve", "split_of"]
