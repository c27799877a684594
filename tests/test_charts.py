"""The pictures of issue 22: readiness gauge, coverage by month, progress against targets — each
drawn from the figures it shows (the same definitions as the tables beside them)."""

from __future__ import annotations

import base64
import calendar
from datetime import date

import re

from saas.charts import against_targets, gauge, line, stacked_bars
from saas.tenancy import tenant_scope
from tenants.training.coverage import Period, by_kind_of, by_month, figures, monthly, year_counts, year_groups

from .test_training import add_event


def svg(uri: str) -> str:
    assert uri.startswith("data:image/svg+xml;base64,")
    return base64.b64decode(uri.split(",", 1)[1]).decode()


def test_coverage_by_month_is_the_coverage_figure_of_each_month(make):
    tenant = make.tenant(slug="monthly")
    early = make.enterprise(tenant, joined_on=date(2025, 1, 1))
    late = make.enterprise(tenant, joined_on=date(2025, 6, 10))  # a member from June
    gone = make.enterprise(tenant, joined_on=date(2024, 1, 1), status="withdrawn", withdrawn_on=date(2025, 8, 1),
                           withdrawal_reason="迁出")
    never = make.enterprise(tenant, joined_on=date(2024, 1, 1))
    add_event(tenant.id, date(2025, 2, 3), {early: 3})
    add_event(tenant.id, date(2025, 3, 9), {early: 1, gone: 2})  # trained twice counts once
    add_event(tenant.id, date(2025, 7, 1), {late: 5})
    add_event(tenant.id, date(2024, 7, 1), {never: 5})  # another year
    with tenant_scope(tenant.id):
        rows = by_month(2025, date(2025, 9, 20))
        assert [m for m, _a, _t in rows] == list(range(1, 10))  # up to today's month, not beyond
        for month, active, trained in rows:
            end = date(2025, month, calendar.monthrange(2025, month)[1])
            f = figures(Period(date(2025, 1, 1), end))
            assert (active, trained) == (f.active, f.trained), month
        assert [(a, t) for _m, a, t in rows if _m in (1, 2, 3, 6, 7, 8)] == [
            (3, 0), (3, 1), (3, 2), (4, 2), (4, 3), (3, 2)]  # the withdrawn member leaves in August


def test_a_years_groups_give_its_coverage_figures(make):
    """The coverage page reads a calendar year's member counts off the groups that draw its
    months (year_counts) and its events by kind off its events per month (by_kind_of): they are
    the figures figures() computes over the members and the events themselves."""
    tenant = make.tenant(slug="groups")
    everyone = make.enterprise(tenant, joined_on=date(2025, 1, 1), employees=4)  # all 4 at one session
    some = make.enterprise(tenant, joined_on=date(2025, 3, 1), employees=40)
    no_count = make.enterprise(tenant, joined_on=None, employees=0)  # trained, no employee count
    gone = make.enterprise(tenant, joined_on=date(2024, 1, 1), employees=2, status="withdrawn",
                           withdrawn_on=date(2025, 8, 1), withdrawal_reason="迁出")
    make.enterprise(tenant, joined_on=date(2026, 2, 1), employees=3)  # joins the year after
    make.enterprise(tenant, joined_on=date(2024, 5, 1), employees=10)  # never trained
    add_event(tenant.id, date(2025, 2, 3), {everyone: 4, some: 5, gone: 2})
    add_event(tenant.id, date(2025, 11, 9), {some: 1, no_count: 3}, kind="publicity", hours=1.5)
    add_event(tenant.id, date(2025, 11, 20), kind="publicity", hours=3)  # nobody came
    add_event(tenant.id, date(2024, 12, 31), kind="seminar", hours=4)  # the year before
    with tenant_scope(tenant.id):
        f = figures(Period.year(2025))
        assert (f.active, f.trained, f.all_staff) == (4, 3, 1)
        assert (f.events, f.hours, f.publicity_events) == (3, 6.5, 2)
        assert year_counts(year_groups(2025)) == (f.active, f.trained, f.all_staff)
        assert figures(Period.year(2025), by_kind=by_kind_of(monthly(2025))) == f
        assert year_counts(year_groups(2026)) == (lambda g: (g.active, g.trained, g.all_staff))(
            figures(Period.year(2026)))


def test_the_gauge_marks_the_pass_mark_only_where_the_standard_sets_one():
    with_mark = svg(gauge(72.5, 100, 80, "合格线 80"))
    assert "72.5" in with_mark and "/ 100" in with_mark and "合格线 80" in with_mark
    assert "#dc3545" in with_mark  # below the mark: red
    assert "#198754" in svg(gauge(85, 100, 80, "合格线 80"))
    without = svg(gauge(6, 9))
    assert "<line" not in without and "<script" not in without


def test_progress_against_targets_shows_each_share_on_one_scale():
    drawing = svg(against_targets([("认定基地", 3, 15), ("示范单位", 12, 10)]))
    assert "3 / 15 · 20%" in drawing and "12 / 10 · 120%" in drawing
    assert drawing.count('fill="#198754"') == 1  # only the reached target is green


def test_the_coverage_page_draws_the_year_by_month_with_its_table(make, login_as):
    tenant = make.tenant(slug="bymonth")
    make.user("bymonth@example.com", tenant=tenant, role="admin")
    a, b = make.enterprise(tenant, joined_on=date(2020, 1, 1)), make.enterprise(tenant, joined_on=date(2020, 1, 1))
    year = date.today().year
    add_event(tenant.id, date(year, 1, 10), {a: 2})
    page = login_as("bymonth@example.com").get(f"/t/bymonth/training/coverage?year={year}").get_data(as_text=True)
    assert f"{year} 年各月受训企业占比" in page and 'id="month-table"' in page
    # The legend reads a percent sign, not the "%%" of a format string that was never formatted.
    drawings = [svg(uri) for uri in re.findall(r'src="(data:image/svg\+xml;base64,[^"]+)"', page)]
    legend = next(d for d in drawings if "受训企业占比" in d)
    assert "受训企业占比（%）" in legend and "超过 50%" in legend and "%%" not in legend
    # January: one of two members trained — the table behind the chart says so.
    assert "<tr><td>1</td><td class=\"text-end\">2</td><td class=\"text-end\">1</td><td class=\"text-end\">50.0%</td></tr>" in page
    other = login_as("bymonth@example.com").get(f"/t/bymonth/training/coverage?from={year}-01-01&to={year}-03-31")
    assert 'id="month-table"' not in other.get_data(as_text=True)  # only for a calendar year


def test_the_readiness_page_shows_the_gauge_and_invents_no_pass_mark(make, login_as):
    """Chongqing's park rubric sets no pass mark (the reviewers decide): the gauge draws none."""
    tenant = make.tenant(slug="gauge")
    make.user("gauge@example.com", tenant=tenant, role="admin")
    page = login_as("gauge@example.com").get("/t/gauge/readiness/?scheme=cq-park").get_data(as_text=True)
    src = page.split('<img class="gauge" src="', 1)[1].split('"', 1)[0]
    drawing = svg(src)
    assert "<line" not in drawing and "/ 100" in drawing
    assert 'alt="得分 0 / 100"' in page
    dashboard = login_as("gauge@example.com").get("/t/gauge/").get_data(as_text=True)
    assert dashboard.split('<img class="gauge gauge-sm" src="', 1)[1].split('"', 1)[0] == src  # the same dial


def test_stacked_bars_stack_each_column_to_its_total_on_whole_numbers():
    drawing = svg(stacked_bars(["1", "2", "3"], [("培训", [2, 0, 1]), ("宣讲", [1, 0, 0])], "每月活动数"))
    bars = [(float(y), float(h)) for y, w, h in re.findall(
        r'<rect x="[\d.]+" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"', drawing) if w != "12"]  # not the legend
    assert len(bars) == 3  # no bar for a zero
    (y1, h1), (y2, h2), (_y3, h3) = bars
    assert abs(h1 - 2 * h3) < 0.2 and abs(y2 + h2 - y1) < 0.2  # 2 then 1 stacked on it; 1 alone elsewhere
    assert ">0.5<" not in drawing and "每月活动数" in drawing


def test_a_line_breaks_where_a_value_is_missing_and_text_is_escaped():
    drawing = svg(line(["1", "2", "3", "4"], [("<b>占比</b>", [10, None, 30, 40])], "标题", (0, 100)))
    path = re.search(r'<path d="([^"]+)"', drawing).group(1)
    assert path.count("M") == 2 and path.count("L") == 1  # 10 alone, then 30 → 40
    assert "<b>" not in drawing and "&lt;b&gt;占比&lt;/b&gt;" in drawing
    assert drawing.count("<circle") == 3
