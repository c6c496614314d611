"""Results -> tables and plots. Data functions are pure; plotting imports matplotlib lazily."""

from ._build import build_report, result_html
from ._claims_plot import plot_claim, plot_panel
from ._data import LandscapePoint, Spend, landscape, spending
from ._finder_plot import plot_finder
from ._load import ReportError, load_results
from ._run_plots import plot_curves, plot_lr, plot_run
from ._schedule import SchedulePoint, summarize_schedule
from ._schedule_plot import plot_schedule, plot_schedules
from ._search_plots import plot_budget, plot_landscape, plot_overview, plot_range_tests
from ._view import ReportView, view_of

__all__ = [
    "LandscapePoint",
    "ReportError",
    "ReportView",
    "SchedulePoint",
    "Spend",
    "build_report",
    "landscape",
    "load_results",
    "plot_budget",
    "plot_claim",
    "plot_curves",
    "plot_finder",
    "plot_landscape",
    "plot_lr",
    "plot_overview",
    "plot_panel",
    "plot_range_tests",
    "plot_run",
    "plot_schedule",
    "plot_schedules",
    "result_html",
    "spending",
    "summarize_schedule",
    "view_of",
]
