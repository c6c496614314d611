"""Bind lrkit schedules (and controllers) to a framework's optimizer.

Each framework lives in its own module and is imported only when used:
`from lrkit.adapters.torch import LRSchedule`.
"""
