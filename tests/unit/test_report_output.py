"""The reports' output helpers: SVG charts escape what they print, CSV cells never run as spreadsheet formulas."""

from __future__ import annotations

from ec112.web.report_charts import Series, bar_chart
from ec112.web.report_pages import _cell


def test_a_chart_escapes_its_labels_and_scales_its_bars() -> None:
    svg = str(bar_chart('Calls <script>alert("x")</script>', ["01", "<b>02</b>"],
                        [Series("Answered & more", "bar-answered", [2.0, 4.0])]))
    assert "<script>" not in svg
    assert "<b>" not in svg
    assert "&lt;b&gt;02&lt;/b&gt;" in svg
    assert "Answered &amp; more" in svg
    assert svg.count('class="bar-answered" data-label=') == 2
    assert 'data-value="4" x=' in svg
    assert 'height="162.0"' in svg  # the tallest bar fills the plot (220 - 46 - 12)
    assert 'height="81.0"' in svg  # half of it


def test_csv_cells_never_start_a_formula() -> None:
    assert _cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert _cell("+62811") == "'+62811"
    assert _cell("@SUM(A1)") == "'@SUM(A1)"
    assert _cell("-cmd") == "'-cmd"
    assert _cell("-") == "-"  # the "no category" key
    assert _cell(None) == ""
    assert _cell(33.333333) == "33.33"
    assert _cell(50.0) == "50"
    assert _cell(3) == "3"
