"""The report page's trend section: the audit history's last N nights as inline SVG and tables.

Self-contained like the rest of the page (no script, no network), legible printed in black and white: every
figure a bar shows is also a number in a table, and a change is said in words and signs, never by colour alone.
"""

from __future__ import annotations

from datetime import date, timedelta
from html import escape

from ..models import GroupRates, Transition, Trends
from .trends_text import change_words, missing_words, percent, period_words
from .words import VERDICT_WORDS

TEXT = ' class="t"'
"""Words, not figures: left-aligned, where the page's tables right-align numbers."""
MAX_TRANSITIONS = 50
"""Notes listed per direction on the page; `notecheck history --table transitions` lists them all."""

TREND_CSS = """
.trends{margin-bottom:16px}.trends>h2{font-size:17px;margin:8px 0}.trends h3{font-size:14px;margin:0 0 6px}
.trends .panel{margin-bottom:12px}.trends p{margin:4px 0}
.nights .bar{fill:var(--ok)}.nights .grid{stroke:#d1d5db}.nights .axis{stroke:#4b5563}
.nights text.small{font-size:11px}
.trends table{margin-top:6px}.trends caption{text-align:left;color:#4b5563;font-size:12px;padding-bottom:4px}
.trends .meta td:first-child{max-width:none}.trends .meta td{white-space:nowrap}.trends .meta .t{text-align:left}
@media print{body{background:#fff;padding:0}.filters{position:static}.panel{border-color:#9ca3af}
.trends .panel,.trends table{break-inside:avoid}
.trends svg *{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""


def render_trends(trends: Trends, labels: dict[str, str]) -> str:
    """The section: the nightly chart and table, one table per --group-by field, the notes that changed."""
    days = (date.fromisoformat(trends.end) - date.fromisoformat(trends.start)).days + 1
    parts = [
        '<section class="trends" id="trends" aria-labelledby="trends-title">',
        f'<h2 id="trends-title">Trends over the last {days} nights, {trends.start} to {trends.end}</h2>',
        f"<p>{escape(period_words(trends))}. Each note counts once, by its latest verdict; review counts as not "
        f"complete. The previous period, for the change, is {trends.previous_start} to {trends.previous_end}."
        + (" Note ids are hashed." if trends.ids_hashed else "") + "</p>",
        _nights_panel(trends, days),
        *(_group_panel(name, groups, labels) for name, groups in trends.groups.items()),
        _transitions_panel("Notes that turned complete (an addendum landed)", trends.improved, trends),
        _transitions_panel("Notes that turned back to not complete", trends.regressed, trends),
        "</section>\n",
    ]
    return "".join(parts)


def _nights_panel(trends: Trends, days: int) -> str:
    rows = "".join(
        f"<tr><td>{n.night}</td><td>{n.runs}</td><td>{n.applicable}</td><td>{n.complete}</td>"
        f"<td>{percent(n.share_complete)}</td><td>{n.incomplete}</td><td>{n.review}</td><td>{n.not_applicable}</td>"
        f"<td>{n.error_rows}</td></tr>" for n in trends.nights)
    heads = ("night", "runs", "applicable notes", "complete", "share complete", "incomplete", "review",
             "not applicable", "error rows")
    return (
        '<div class="panel"><h3 id="nights-title">Share of applicable notes complete, per night</h3>'
        f"{_night_chart(trends, days)}"
        '<table class="meta"><caption>Each night\'s notes by latest verdict that night</caption><tr>'
        + "".join(f'<th scope="col">{head}</th>' for head in heads) + f"</tr>{rows}</table></div>"
    )


def _night_chart(trends: Trends, days: int) -> str:
    """One column per calendar day of the period (a night without a run is a gap), 0-100% with gridlines."""
    left, top, plot_h, bottom = 44, 16, 140, 34
    slot = min(max(720 / days, 3.0), 28.0)
    width, height = left + slot * days + 8, top + plot_h + bottom
    first = date.fromisoformat(trends.start)
    parts = [f'<svg class="nights" width="{width:.0f}" height="{height}" viewBox="0 0 {width:.0f} {height}" '
             f'role="img" aria-labelledby="nights-title nights-desc"><desc id="nights-desc">'
             f'{escape(_chart_description(trends))}</desc>']
    for tick in (0, 25, 50, 75, 100):
        y = top + plot_h * (1 - tick / 100)
        parts.append(f'<line class="grid" x1="{left}" x2="{width - 8:.0f}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text class="small" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}%</text>')
    shown = {n.night: n for n in trends.nights}
    for day in range(days):
        night = (first + timedelta(days=day)).isoformat()
        x = left + slot * day
        tally = shown.get(night)
        if tally is not None and tally.share_complete is not None:
            h = plot_h * tally.share_complete
            parts.append(f'<rect class="bar" x="{x + slot * 0.15:.1f}" y="{top + plot_h - h:.1f}" '
                         f'width="{slot * 0.7:.1f}" height="{h:.1f}"/>')
            if slot >= 24:
                parts.append(f'<text class="small" x="{x + slot / 2:.1f}" y="{top + plot_h - h - 3:.1f}" '
                             f'text-anchor="middle">{tally.share_complete:.0%}</text>')
        if day in (0, days - 1) or (slot * 7 >= 60 and day % 7 == 0 and days - 1 - day >= 3):
            parts.append(f'<text class="small" x="{x + slot / 2:.1f}" y="{top + plot_h + 16}" '
                         f'text-anchor="middle">{night[5:]}</text>')
    parts.append(f'<line class="axis" x1="{left}" x2="{width - 8:.0f}" y1="{top + plot_h}" y2="{top + plot_h}"/>'
                 "</svg>")
    return "".join(parts)


def _chart_description(trends: Trends) -> str:
    nights = [f"{n.night} {percent(n.share_complete)}" for n in trends.nights]
    return "Share complete per night: " + ("; ".join(nights) if nights else "no runs") + "."


def _group_panel(name: str, groups: list[GroupRates], labels: dict[str, str]) -> str:
    heads = (escape(name), "applicable notes", "complete", "share complete", "most often missing",
             "previous notes", "previous share", "change")
    body = "".join(
        f'<tr><td>{escape(g.value)}</td><td>{g.current.applicable}</td><td>{g.current.complete}</td>'
        f"<td>{_share_bar(g.current.share_complete)} {percent(g.current.share_complete)}</td>"
        f'<td class="t">{escape(missing_words(g, labels))}</td><td>{g.previous.applicable}</td>'
        f"<td>{percent(g.previous.share_complete)}</td><td>{escape(change_words(g))}</td></tr>" for g in groups)
    return (
        f'<div class="panel"><h3>Trends by {escape(name)}</h3><table class="meta"><caption>Applicable notes of the '
        f"period by {escape(name)}; change in percentage points against the previous period</caption><tr>"
        + "".join(f'<th scope="col"{TEXT if head == "most often missing" else ""}>{head}</th>' for head in heads)
        + f"</tr>{body}</table></div>"
    )


def _share_bar(share: float | None) -> str:
    """A small bar beside the figure (decorative: the figure is the information)."""
    length = 60 * (share or 0.0)
    return (f'<svg width="60" height="10" viewBox="0 0 60 10" aria-hidden="true"><rect class="track" width="60" '
            f'height="10"/><rect class="complete" width="{length:.1f}" height="10"/></svg>')


def _transitions_panel(title: str, changes: list[Transition], trends: Trends) -> str:
    fields = list(trends.groups)
    heads = ("source", "note", *map(escape, fields), "before", "on", "after", "on")
    body = "".join(
        "<tr>" + "".join(f'<td class="t">{escape(cell)}</td>' for cell in (
            t.source, t.note_id, *(t.groups.get(name, "") for name in fields), VERDICT_WORDS[t.before],
            t.before_night, VERDICT_WORDS[t.after], t.after_night)) + "</tr>" for t in changes[:MAX_TRANSITIONS])
    more = (f'<p class="more">and {len(changes) - MAX_TRANSITIONS} more: <code>notecheck history FILE --table '
            "transitions</code> lists them all</p>" if len(changes) > MAX_TRANSITIONS else "")
    table = ('<table class="meta"><tr>' + "".join(f'<th scope="col"{TEXT}>{head}</th>' for head in heads)
             + f"</tr>{body}</table>") if changes else ""
    return f'<div class="panel"><h3>{title}: {len(changes)}</h3>{table}{more}</div>'
