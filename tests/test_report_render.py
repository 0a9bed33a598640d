"""The report's own drawing and naming: the SVG line chart and the packets' file names."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sferum_tui.core.outputs.report import line_chart_svg, packet_file_names


def _weeks(values):
    start = date(2023, 4, 1)
    return [(start + timedelta(days=7 * i), start + timedelta(days=7 * i + 6), v)
            for i, v in enumerate(values)]


def test_chart_draws_values_target_axes_and_a_gap():
    svg = line_chart_svg("Активные <профили>", _weeks([0.5, 0.6, None, 0.8, 0.85]), 1.0)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<title>Активные &lt;профили&gt;</title>" in svg
    assert svg.count("<polyline") == 2                     # broken where a week has no value
    assert svg.count("<circle") == 4
    assert 'class="target"' in svg and "цель 100%" in svg
    assert "100%" in svg and "01.04" in svg                 # the y axis in percent, dates under x
    assert "85,0%" in svg                                   # the last value labelled
    assert "http" not in svg


def test_chart_without_values_says_so():
    assert "нет данных" in line_chart_svg("x", _weeks([None, None]), 0.3)


def test_packet_names_are_safe_and_unique():
    names = ["CON", "com1", "Lpt9.", "a:b*c?d\"e<f>g|h", "Север ", "север", "x\x07y", "...",
             "Н" * 300, "Н" * 300 + "2"]
    files = packet_file_names(names, ".html")
    assert len(set(f.casefold() for f in files)) == len(files) == len(names)
    for f in files:
        stem = f[:-5]
        assert f.endswith(".html") and stem and stem == stem.rstrip(" .")
        assert not re.search(r'[<>:"/\\|?*\x00-\x1f]', f)
        assert not re.match(r"(con|prn|aux|nul|com\d|lpt\d)$", stem, re.I)
        assert len(stem) <= 80
