"""Results -> tables and plots. Data functions are pure; plotting imports matplotlib lazily."""

from ._finder_plot import plot_finder
from ._schedule import SchedulePoint, summarize_schedule
from ._schedule_plot import plot_schedule, plot_schedules

__all__ = ["SchedulePoint", "plot_finder", "plot_schedule", "plot_schedules", "summarize_schedule"]
