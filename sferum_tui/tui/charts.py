"""``HistoryChart``: one figure of one school over the weeks, drawn with plotext.

The chart is a ``PlotextPlot`` (textual-plotext) set to plotext's ``clear`` theme, so the canvas
and the axes take the widget's own CSS background and colour (``$surface``, ``$foreground-muted``)
and nothing is hard-coded: the data line is the theme's ``$primary`` and the target (or the
threshold of a rule) a horizontal line in ``$warning``.  A colour given by the theme as one of
the 16 ANSI colours is passed to plotext as that ANSI index, so a 16-colour terminal draws it
with its own palette; ``NO_COLOR`` still tells the two lines apart (braille dots against ``─``).

The widget computes nothing: it is given labels, values (shares 0..1 for a percent chart, as
the core returns them) and the target, and redraws on resize and on a change of theme.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from textual.color import Color, ColorParseError
from textual_plotext import PlotextPlot

from sferum_tui.i18n import tr

__all__ = ["HistoryChart"]

LABEL_CELLS = 7  # a tick label "15.04" plus room between two labels


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return True


def _plot_color(variables: dict[str, str], name: str, fallback: str) -> Any:
    """A plotext colour for a theme variable: an ANSI index for an ANSI colour, else RGB."""
    value = variables.get(name) or variables.get(fallback) or ""
    try:
        color = Color.parse(value.split()[0]) if value else None
    except (ColorParseError, ValueError, IndexError):
        color = None
    if color is None:
        return "default"
    if color.ansi is not None:
        return "default" if color.ansi < 0 else int(color.ansi)
    return color.rgb


def nice_ticks(low: float, high: float, count: int, *, integer: bool) -> list[float]:
    """Round tick values from ``low`` up to at least ``high`` (about ``count`` of them), with a
    step of 1, 2 or 5 × 10ⁿ (whole numbers only when ``integer``)."""
    count = max(2, count)
    span = max(high - low, 1e-9)
    raw = span / (count - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw - 1e-12)
    if integer:
        step = max(1.0, float(math.ceil(step)))
    n = max(1, math.ceil((high - low) / step - 1e-9))
    return [low + i * step for i in range(n + 1)]


def _fmt_number(value: float, percent: bool) -> str:
    if percent:
        return f"{value:.0f}%"
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", tr("\u00a0", ","))
    return f"{value:.1f}"


class HistoryChart(PlotextPlot):
    """A line over the weeks with an optional horizontal target line.

    Args:
        title: The chart's title (e.g. "Учителя, написавшие более 3 сообщений, %").
        percent: Values are shares 0..1 shown as percent.
        line_color: Theme variable of the data line.
        target_color: Theme variable of the target line.
    """

    DEFAULT_CSS = """
    HistoryChart {
        background: $surface;
        color: $foreground-muted;
        height: 1fr;
        min-height: 5;
        min-width: 20;
    }
    """

    def __init__(
        self,
        title: str = "",
        *,
        percent: bool = False,
        line_color: str = "primary",
        target_color: str = "warning",
        name: str | None = None,
        id: str | None = None,  # noqa: A002 - Textual's name
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.title = title
        self.percent = percent
        self.line_color = line_color
        self.target_color = target_color
        self.labels: list[str] = []
        self.values: list[float | None] = []
        self.target: float | None = None
        self.target_label: str | None = None
        self._drawn_size = None
        self.theme = "clear"

    # ------------------------------------------------------------------ data

    def set_data(
        self,
        labels: Sequence[str],
        values: Sequence[Any],
        *,
        target: float | None = None,
        target_label: str | None = None,
    ) -> None:
        """Show ``values`` (one per week, oldest first; ``None``/NaN where unknown) under
        ``labels``, with a target line at ``target`` (same units as the values)."""
        self.labels = [str(label) for label in labels]
        self.values = [None if _missing(v) else float(v) for v in values]
        self.target = None if _missing(target) else float(target)  # type: ignore[arg-type]
        self.target_label = target_label
        if self.is_mounted:  # else on_mount draws it
            self._replot()

    @property
    def caption(self) -> str:
        """The title line as drawn: title, latest value, target."""
        parts = [self.title]
        latest = next((v for v in reversed(self.values) if v is not None), None)
        scale = 100.0 if self.percent else 1.0
        if latest is not None:
            parts.append(_fmt_number(latest * scale, self.percent))
        elif not self.values:
            parts.append(tr("нет данных", "no data"))
        if self.target is not None:
            label = self.target_label or tr("цель", "target")
            parts.append(f"{label} {_fmt_number(self.target * scale, self.percent)}")
        return " · ".join(p for p in parts if p)

    # ------------------------------------------------------------------ drawing

    def on_mount(self) -> None:  # PlotextPlot's own on_mount runs too (Textual walks the MRO)
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._replot())
        self._replot()

    def on_resize(self) -> None:
        if self.size != self._drawn_size:
            self._replot()

    def _replot(self) -> None:
        from rich.cells import cell_len, set_cell_size

        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.theme("clear")
        width, height = self.size.width, self.size.height
        self._drawn_size = self.size
        caption = self.caption
        if width and cell_len(caption) > width - 2:  # plotext drops a title that does not fit
            caption = set_cell_size(caption, max(1, width - 3)) + "…"
        plt.title(caption)
        variables = self.app.theme_variables if self.is_attached else {}
        line = _plot_color(variables, self.line_color, "primary")
        goal = _plot_color(variables, self.target_color, "warning")
        scale = 100.0 if self.percent else 1.0
        values = [None if v is None else v * scale for v in self.values]
        known = [v for v in values if v is not None]
        target = None if self.target is None else self.target * scale

        n = len(values)
        # one contiguous run at a time: a missing week leaves a gap instead of a false line
        run_x: list[int] = []
        run_y: list[float] = []
        for i, v in enumerate(values + [None]):
            if v is not None:
                run_x.append(i)
                run_y.append(v)
                continue
            if len(run_x) == 1:
                plt.scatter(run_x, run_y, marker="●", color=line)
            elif run_x:
                plt.plot(run_x, run_y, marker="braille", color=line)
            run_x, run_y = [], []

        marks = known + ([target] if target is not None else [])
        bottom = min(marks + [0.0])
        top = max(marks + [bottom + (10.0 if self.percent else 1.0)])
        rows = max(2, min(6, ((height or 12) - 4) // 2 + 1))
        ticks = nice_ticks(bottom, top * 1.05 if top > 0 else top + 1, rows,
                           integer=not self.percent)
        plt.ylim(ticks[0], ticks[-1])
        plt.yticks(ticks, [_fmt_number(t, self.percent) for t in ticks])
        if target is not None:
            plt.hline(target, color=goal)

        if n:
            plt.xlim(-0.5 if n == 1 else 0, max(n - 1, 0) + (0.5 if n == 1 else 0))
            room = max(2, (width - 8) // LABEL_CELLS) if width > 0 else 6
            step = max(1, math.ceil(n / room))
            xt = list(range(n - 1, -1, -step))[::-1]  # always label the latest week
            plt.xticks(xt, [self.labels[i] if i < len(self.labels) else "" for i in xt])
        else:
            plt.xticks([], [])
        self.refresh()
