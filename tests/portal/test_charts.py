"""The chart building blocks shared by the dashboard, partner and place pages."""

from __future__ import annotations

import datetime
from decimal import Decimal

from cooperation.charts import Chart, Series, axis_ticks, period_label, stacked_series
from cooperation.figures import Month, add_months, period_starts


def test_axis_ticks_are_round_whole_steps_from_zero_past_the_tallest_bar():
    assert axis_ticks(0) == [0, 1]
    assert axis_ticks(3) == [0, 1, 2, 3]
    assert axis_ticks(7) == [0, 2, 4, 6, 8]
    assert axis_ticks(Decimal("2250.5")) == [0, 500, 1000, 1500, 2000, 2500]


def test_periods_run_from_the_one_holding_the_first_day_to_the_one_holding_the_last():
    first, last = datetime.date(2024, 11, 15), datetime.date(2025, 4, 30)
    assert period_starts(first, last, "quarter") == [
        datetime.date(2024, 10, 1),
        datetime.date(2025, 1, 1),
        datetime.date(2025, 4, 1),
    ]
    assert len(period_starts(first, last, "month")) == 6
    assert period_starts(first, last, "year") == [
        datetime.date(2024, 1, 1),
        datetime.date(2025, 1, 1),
    ]
    assert [period_label(d, "quarter") for d in period_starts(first, last, "quarter")] == [
        "2024 Q4",
        "2025 Q1",
        "2025 Q2",
    ]


def test_months_step_across_years():
    assert add_months(datetime.date(2026, 1, 1), -1) == datetime.date(2025, 12, 1)
    assert add_months(datetime.date(2025, 11, 1), 2) == datetime.date(2026, 1, 1)
    month = Month.latest_complete(datetime.date(2026, 3, 31))
    assert (month.first, month.last) == (datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))
    assert month.previous.first == datetime.date(2026, 1, 1)


def test_a_group_keeps_its_colour_whichever_groups_a_chart_shows():
    months = [datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)]
    groups = {"cocaine_type": "Cocaine-type", "opiates": "Opiates", "precursors": "Precursors"}
    rows = [
        {"period": months[1], "group": "precursors", "kg": Decimal("5")},
        {"period": months[0], "group": "precursors", "kg": Decimal("2")},
        {"period": datetime.date(2020, 1, 1), "group": "opiates", "kg": Decimal("9")},  # outside
    ]
    series = stacked_series(
        rows,
        categories=months,
        category_field="period",
        group_field="group",
        value_field="kg",
        groups=groups,
    )
    assert [(s.name, s.values, s.colour_class) for s in series] == [
        ("Precursors", [Decimal("2"), Decimal("5")], "color-2")
    ]


def test_the_svg_has_no_style_or_script_and_each_bar_says_what_it_is():
    chart = Chart(
        key="sample",
        title="Seizures",
        description="Kilograms seized",
        categories=["2025", "2026"],
        series=[Series("Opiates", [Decimal("1.5"), 0], colour=1)],
        unit="kg",
        decimals=1,
    )
    svg = str(chart.svg)
    assert "<style" not in svg and "<script" not in svg and "style=" not in svg
    assert '<title id="sample-svg-title">Seizures</title>' in svg
    assert "Kilograms seized, 2025 to 2026. Totals: Opiates 1.5 kg." in svg
    assert "2025 · Opiates: 1.5 kg" in svg
    assert 'class="series serie-0 color-1"' in svg
    assert chart.table_rows() == [("2025", ["1.5"], "1.5"), ("2026", ["0.0"], "0.0")]
