"""The batch audit as one self-contained HTML page for QA teams.

Everything (CSS, SVG charts, the filter script) is inline so the page works opened from file:// on a machine with
no network, and nothing in it depends on the clock or on randomness, so the same audit gives the same bytes and
two nightly pages can be diffed. Notes can number in the thousands: each card shows evidence snippets, never the
note, with at most a few sentences per element.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from itertools import islice

from ..indications.render import NOTICE, render_indications_html
from ..models import AuditRow, ElementResult, Evidence, Report, Summary, Trends, prior_authorisation
from .trends_html import TREND_CSS, render_trends
from .words import VERDICT_WORDS, status_words

MAX_SNIPPETS = 3
"""Evidence sentences shown per element; the report JSON keeps them all."""
SNIPPET_WIDTH = 200
"""Characters of a sentence shown around the match: dictated notes run whole paragraphs into one sentence."""
MAX_METADATA_VALUES = 25
"""Values listed per metadata field; the rest are added up in one 'other' row so a free-text field stays small."""

_OUTCOMES = ("review", "incomplete", "complete", "not_applicable", "error")
_OUTCOME_WORDS = {**VERDICT_WORDS, "error": "errors"}
_MODIFIER_WORDS = {"NEGATED_EXISTENCE": "negated", "HYPOTHETICAL": "planned or conditional",
                   "FRAME": "explained or conditional",
                   "HISTORICAL": "history", "INDICATION": "indication", "UNCHECKED": "unchecked box",
                   "POSSIBLE_EXISTENCE": "possible", "FAMILY": "family history"}
"""ConText categories as a coder says them; an unknown one is lowercased with spaces."""


@dataclass(frozen=True)
class RunContext:
    """What a reader of the page needs to know about the run: profile, date, inputs, version and options."""

    profile: str | None
    started: str
    inputs: list[str]
    version: str
    options: dict[str, object] = field(default_factory=dict)


def plain(name: str) -> str:
    """A section or modifier name in plain words: 'procedure_title' -> 'procedure title'."""
    return _MODIFIER_WORDS.get(name, name.replace("_", " ").lower())

_CODES = (("0201T", "0201T"), ("0200T", "0200T"), ("none", "no code"))
_REQUIREMENT = {"required": "required", "when_performed": "when performed", "not_required": "not required"}

_CSS = """
:root{--ok:#2e7d32;--warn:#b45309;--bad:#c62828;--code:#1d4ed8;--muted:#6b7280;--line:#e5e7eb;--bg:#f8fafc;
--na:#7c3aed;--rev:#0e7490}
*{box-sizing:border-box}
body{margin:0;padding:24px 32px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:#111827;background:var(--bg)}
h1{font-size:22px;margin:0 0 16px}h2{font-size:15px;margin:0 0 8px}
[hidden]{display:none!important}
.figures{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:16px}
.fig{background:#fff;border:1px solid var(--line);border-radius:8px;padding:8px 14px;min-width:104px}
.fig b{display:block;font-size:22px;font-variant-numeric:tabular-nums}.fig span{color:var(--muted);font-size:12px}
.panels{display:flex;flex-wrap:wrap;gap:16px;margin-bottom:16px;align-items:flex-start}
.panel{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px}
svg text{font:12px system-ui,sans-serif;fill:#111827}
.track{fill:#f1f5f9}.complete{fill:var(--ok)}.incomplete{fill:var(--warn)}.error{fill:var(--bad)}
.review{fill:var(--rev)}
.not_applicable{fill:var(--na)}
.code{fill:var(--code)}.none{fill:var(--muted)}.rate{fill:var(--bad)}
.legend{font-size:12px;color:var(--muted);margin:0 0 6px}
.legend i{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px;border-radius:2px}
.legend .complete{background:var(--ok)}.legend .incomplete{background:var(--warn)}.legend .error{background:var(--bad)}
.legend .not_applicable{background:var(--na)}.legend .review{background:var(--rev)}
.run{color:var(--muted);font-size:12px;margin:-10px 0 16px}.run b{color:#111827;font-weight:600}
table{border-collapse:collapse}
.meta td,.meta th{padding:2px 8px;text-align:right;font-variant-numeric:tabular-nums}
.meta td:first-child,.meta th:first-child{text-align:left;max-width:220px;overflow:hidden;text-overflow:ellipsis;
white-space:nowrap}
.meta th{font-weight:600;color:var(--muted);font-size:12px;border-bottom:1px solid var(--line)}
.filters{position:sticky;top:0;z-index:1;display:flex;flex-wrap:wrap;gap:8px;align-items:center;
background:var(--bg);padding:10px 0;border-bottom:1px solid var(--line);margin-bottom:12px}
.filters button{font:inherit;padding:4px 12px;border:1px solid #cbd5e1;border-radius:16px;background:#fff;
cursor:pointer}
.filters button[aria-pressed=true]{background:#111827;color:#fff;border-color:#111827}
.filters input{font:inherit;padding:4px 10px;border:1px solid #cbd5e1;border-radius:6px;width:220px}
.filters output{color:var(--muted)}
.card{background:#fff;border:1px solid var(--line);border-left:4px solid var(--ok);border-radius:8px;
padding:12px 16px;margin-bottom:12px;content-visibility:auto;contain-intrinsic-size:auto 320px}
.card[data-outcome=incomplete]{border-left-color:var(--warn)}.card[data-outcome=error]{border-left-color:var(--bad)}
.card[data-outcome=not_applicable]{border-left-color:var(--na)}.card[data-outcome=review]{border-left-color:var(--rev)}
.card header{display:flex;flex-wrap:wrap;gap:6px;align-items:baseline}
.card h2{margin:0 8px 0 0;word-break:break-all}
.badge{font-size:12px;padding:1px 8px;border-radius:10px;background:#f1f5f9;color:#334155}
.badge.complete{background:#dcfce7;color:var(--ok)}.badge.incomplete{background:#fef3c7;color:var(--warn)}
.badge.error{background:#fee2e2;color:var(--bad)}.badge.not_applicable{background:#ede9fe;color:var(--na)}
.badge.review{background:#cffafe;color:var(--rev)}
.why{margin:6px 0 0}
.badge.code{background:#dbeafe;color:var(--code);font-weight:600}
.badge.prior{background:#e0f2fe;color:#075985}
.src{width:100%;color:var(--muted);font-size:12px;word-break:break-all}
.err{color:var(--bad);font-weight:600;margin:8px 0 4px}
.findings{margin:8px 0;padding-left:20px}
.el{width:100%;table-layout:fixed;margin-top:6px;font-size:13px}
.el th{text-align:left;font-size:12px;color:var(--muted);font-weight:600;border-bottom:1px solid var(--line);
padding:3px 8px}
.el td{vertical-align:top;padding:4px 8px;border-bottom:1px solid #f1f5f9}
.el th:first-child{width:190px}.el th:nth-child(2){width:150px}
.el small{display:block;color:var(--muted)}
.s-ok{color:var(--ok)}.s-np{color:#475569}.s-bad{color:var(--bad);font-weight:600}.s-na{color:var(--muted)}
.ev{margin:0 0 3px}.ev em{font-style:normal;color:var(--muted);font-size:12px}
.ev.off{color:var(--muted)}.ev.off mark{background:#f1f5f9;color:#4b5563;text-decoration:line-through}
mark{background:#fef08a;padding:0 1px;border-radius:2px}
.more{color:var(--muted);font-size:12px}
"""

_SCRIPT = """
(function () {
  var keep = {
    all: function () { return true; },
    complete: function (c) { return c.dataset.outcome === "complete"; },
    incomplete: function (c) { return c.dataset.outcome === "incomplete"; },
    review: function (c) { return c.dataset.outcome === "review"; },
    not_applicable: function (c) { return c.dataset.outcome === "not_applicable"; },
    prior_auth: function (c) { return c.dataset.view === "prior_auth"; },
    "0201T": function (c) { return c.dataset.code === "0201T"; },
    "0200T": function (c) { return c.dataset.code === "0200T"; },
    nocode: function (c) { return c.dataset.code === "none"; },
    errors: function (c) { return c.dataset.outcome === "error"; }
  };
  var cards = document.querySelectorAll("article.card");
  var buttons = document.querySelectorAll(".filters button");
  var box = document.getElementById("q");
  var shown = document.getElementById("shown");
  var mode = keep.hasOwnProperty(location.hash.slice(1)) ? location.hash.slice(1) : "all";
  var texts = [];
  for (var j = 0; j < cards.length; j++) { texts.push(cards[j].textContent.toLowerCase()); }
  function apply() {
    var query = box.value.trim().toLowerCase(), n = 0;
    for (var i = 0; i < cards.length; i++) {
      var on = keep[mode](cards[i]) && (cards[i].dataset.id.indexOf(query) !== -1 || texts[i].indexOf(query) !== -1);
      cards[i].hidden = !on;
      if (on) n++;
    }
    shown.textContent = n + " of " + cards.length + " notes shown";
    buttons.forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.filter === mode)); });
  }
  buttons.forEach(function (b) {
    b.addEventListener("click", function () { mode = b.dataset.filter; apply(); });
  });
  box.addEventListener("input", apply);
  apply();
  document.body.dataset.ready = "1";
})();
"""


def iter_html(rows: Iterable[AuditRow], summary: Summary, labels: dict[str, str],
              title: str = "notecheck audit", context: RunContext | None = None,
              performed: set[str] | None = None, fields: tuple[str, ...] | None = None,
              trends: Trends | None = None) -> Iterator[str]:
    """The audit page in pieces, one card at a time, so a batch of any size is written without holding it.
    ``performed`` names the sections whose evidence is shown first (the procedure itself, not its indication);
    ``fields`` the metadata shown on cards (None: all), as other fields may be patient identifiers; ``trends``
    the audit history's last nights (--history)."""
    return iter_page((card(row, performed, fields) for row in rows), summary, labels, title, context, trends)


def iter_page(cards: Iterable[str], summary: Summary, labels: dict[str, str], title: str = "notecheck audit",
              context: RunContext | None = None, trends: Trends | None = None) -> Iterator[str]:
    """The page around cards already rendered (``card``): the audit's workers render each row's card with the row,
    before the summary the page opens with is known."""
    yield from (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{escape(title)}</title><style>{_CSS}{TREND_CSS if trends else ''}</style></head><body>\n",
        f"<h1>{escape(title)}</h1>\n",
        _context(context) if context else "",
        _summary(summary, labels),
        render_trends(trends, labels) if trends else "",
        _filters(summary, summary.inputs),
        '<main id="cards">\n',
    )
    yield from cards
    yield f"</main>\n<script>{_SCRIPT}</script>\n</body></html>\n"


def render_html(rows: Iterable[AuditRow], summary: Summary, labels: dict[str, str] | None = None,
                title: str = "notecheck audit", context: RunContext | None = None,
                performed: set[str] | None = None) -> str:
    """The whole audit page as one string (for tests and notebooks); element labels default to the ids."""
    return "".join(iter_html(rows, summary, labels or {}, title, context, performed))


def _context(context: RunContext) -> str:
    """One line under the title: what notes were judged against, when, from what, by which version, with which
    options."""
    options = ", ".join(f"{key} {value:g}" if isinstance(value, float) else f"{key} {value}"
                        for key, value in context.options.items() if value not in (None, ""))
    against = f"billed {context.profile}" if context.profile else "the code each note supports"
    parts = [("judged against", against), ("started", context.started), ("inputs", ", ".join(context.inputs)),
             ("notecheck", context.version), ("options", options)]
    shown = " · ".join(f"{name} <b>{escape(value)}</b>" for name, value in parts if value)
    return f'<p class="run">{shown}</p>\n'


def _summary(summary: Summary, labels: dict[str, str]) -> str:
    """Figures, then outcome / code / missing-element charts, then one breakdown table per metadata field."""
    figures = [
        ("inputs", summary.inputs),
        *((_OUTCOME_WORDS[key], summary.outcomes.get(key, 0)) for key in _OUTCOMES),
        *((name, summary.codes.get(key, 0)) for key, name in _CODES),
        ("prescreened", summary.prescreened),
        ("flagged", summary.flagged),
    ]
    tiles = "".join(f'<div class="fig"><b>{value}</b><span>{name}</span></div>' for name, value in figures)
    scale = max(summary.inputs, 1)
    outcomes = _bar_chart(
        [(_OUTCOME_WORDS[name], summary.outcomes.get(name, 0), str(summary.outcomes.get(name, 0)), name)
         for name in _OUTCOMES], scale
    )
    codes = _bar_chart(
        [(name, summary.codes.get(key, 0), str(summary.codes.get(key, 0)), "none" if key == "none" else "code")
         for key, name in _CODES],
        scale,
    )
    rates = _bar_chart(
        [(labels.get(key, key.replace("_", " ")), rate,
          f"{rate:.1%}" + (f" of {summary.missing_due[key]}" if key in summary.missing_due else ""), "rate")
         for key, rate in summary.missing_rates.items() if summary.missing_due.get(key, 1)],
        1.0,
    )
    panels = [
        f'<div class="panel"><h2>Notes by outcome</h2>{outcomes}</div>',
        f'<div class="panel"><h2>Notes by suggested code</h2>{codes}</div>',
        '<div class="panel"><h2>Missing required elements</h2>'
        '<p class="legend">share of the sacral procedures where the element was due that lack it</p>'
        f"{rates}</div>",
    ]
    for title, counts, whose in (("Indications documented", summary.indications, "sacral procedures"),
                                 ("Prior-authorisation checklists", summary.prior_authorisation,
                                  "referrals, consults, H&amp;Ps and pre-authorisation summaries")):
        if any(sum(c.values()) for c in counts.values()):
            panels.append(f'<div class="panel"><h2>{title}</h2><p class="legend">{NOTICE}: {whose} whose note '
                          f"documents each criterion</p>{_documented_chart(counts)}</div>")
    panels.extend(_metadata_panel(field, values) for field, values in summary.by_metadata.items())
    return f'<section class="figures">{tiles}</section>\n<section class="panels">{"".join(panels)}</section>\n'


def _documented_chart(counts: dict[str, dict[str, int]]) -> str:
    """Per criterion, the notes documenting it, of the notes counted."""
    return _bar_chart([(key.replace("_", " "), c.get("documented", 0), f"{c.get('documented', 0)} of "
                        f"{sum(c.values())}", "code") for key, c in counts.items()],
                      max(max(sum(c.values()) for c in counts.values()), 1))


def _bar_chart(bars: list[tuple[str, float, str, str]], scale: float) -> str:
    """Horizontal bars as inline SVG: (label, value, value as shown, CSS class), bar length value / scale."""
    label_w, bar_w, value_w, row_h = 180, 220, 84, 22
    width, height = label_w + bar_w + value_w, row_h * len(bars)
    said = escape("; ".join(f"{label}: {shown}" for label, _, shown, _ in bars), quote=True)  # what a reader hears
    parts = [f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{said}">']
    for i, (label, value, shown, css) in enumerate(bars):
        y = i * row_h
        length = bar_w * min(value / scale, 1.0)
        short = label if len(label) <= 28 else label[:27] + "…"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end">{escape(short)}'
            f"<title>{escape(label)}</title></text>"
            f'<rect class="track" x="{label_w}" y="{y + 4}" width="{bar_w}" height="14" rx="2"/>'
            f'<rect class="{css}" x="{label_w}" y="{y + 4}" width="{length:.1f}" height="14" rx="2"/>'
            f'<text x="{label_w + bar_w + 6}" y="{y + 15}">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _metadata_panel(field: str, values: dict[str, dict[str, int]]) -> str:
    """One metadata field (e.g. provider): outcome counts per value with a 100% stacked bar, largest first."""
    ranked = sorted(values.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    if len(ranked) > MAX_METADATA_VALUES:
        rest = ranked[MAX_METADATA_VALUES - 1 :]
        other = Counter[str]()
        for _, counts in rest:
            other.update(counts)
        ranked = ranked[: MAX_METADATA_VALUES - 1] + [(f"other ({len(rest)} values)", dict(other))]
    body = []
    for value, counts in ranked:
        figures = [counts.get(outcome, 0) for outcome in _OUTCOMES]
        body.append(
            f'<tr><td title="{escape(value)}">{escape(value)}</td><td>{sum(figures)}</td>'
            f"<td>{_stacked_bar(figures)}</td>" + "".join(f"<td>{n}</td>" for n in figures) + "</tr>"
        )
    legend = "".join(f'<i class="{outcome}"></i>{_OUTCOME_WORDS[outcome]}' for outcome in _OUTCOMES)
    return (
        f'<div class="panel"><h2>By {escape(field)}</h2><p class="legend">{legend}</p><table class="meta">'
        f"<tr><th>{escape(field)}</th><th>notes</th><th></th>"
        + "".join(f"<th>{_OUTCOME_WORDS[outcome]}</th>" for outcome in _OUTCOMES) + "</tr>"
        f'{"".join(body)}</table></div>'
    )


def _stacked_bar(figures: list[int]) -> str:
    """Complete / incomplete / error shares of one metadata value, so values of any size compare at a glance."""
    width, total, x = 140.0, max(sum(figures), 1), 0.0
    parts = [f'<svg width="{width:.0f}" height="12" viewBox="0 0 {width:.0f} 12">']
    for outcome, n in zip(_OUTCOMES, figures):
        length = width * n / total
        if length:
            parts.append(f'<rect class="{outcome}" x="{x:.1f}" y="1" width="{length:.1f}" height="10"/>')
        x += length
    parts.append("</svg>")
    return "".join(parts)


def _filters(summary: Summary, total: int) -> str:
    """The filter bar; the script in the page shows and hides cards by their data attributes."""
    prior = sum(next(iter(summary.prior_authorisation.values()), {}).values())
    buttons = [
        ("all", f"all ({total})"),
        *((key.replace("error", "errors"), f"{_OUTCOME_WORDS[key]} ({summary.outcomes.get(key, 0)})")
          for key in _OUTCOMES),
        *((key if key != "none" else "nocode", f"{name} ({summary.codes.get(key, 0)})") for key, name in _CODES),
        *([("prior_auth", f"prior authorisation ({prior})")] if prior else []),
    ]
    html = "".join(
        f'<button type="button" data-filter="{key}" aria-pressed="{str(key == "all").lower()}">{text}</button>'
        for key, text in buttons
    )
    return (
        f'<nav class="filters">{html}<input id="q" type="search" placeholder="search note id or text" '
        f'aria-label="search by note id or text"><output id="shown"></output></nav>\n'
    )


def card(row: AuditRow, performed: set[str] | None = None, fields: tuple[str, ...] | None = None) -> str:
    """One note: header with the verdict, then the error or the findings and the element table."""
    report = row.report
    code = "" if report is None else report.suggested_code or "none"
    badges = [] if report is None else _verdict_badges(report, row.outcome)
    if row.outcome == "error":
        badges.append('<span class="badge error">error</span>')
    shown = row.metadata.items() if fields is None else [(k, v) for k, v in row.metadata.items() if k in fields]
    where = " · ".join([row.source, *(f"{key}: {value}" for key, value in shown)])
    prior = prior_authorisation(report)
    if prior:
        badges.append('<span class="badge prior">prior authorisation</span>')
    view = ' data-view="prior_auth"' if prior else ""
    parts = [
        f'<article class="card" id="row-{row.row}" data-outcome="{row.outcome}" data-code="{escape(code)}" '
        f'data-id="{escape(row.note_id.lower())}"{view}><header><h2>{escape(row.note_id)}</h2>{"".join(badges)}'
        f'<div class="src">{escape(where)}</div></header>'
    ]
    if row.error is not None:
        parts.append(f'<p class="err">{escape(row.error)}</p>')
    if row.flags:
        parts.append(f'<p class="more">input repaired: {escape(", ".join(row.flags))}</p>')
    if report is not None:
        if report.verdict_reasons:
            parts.append(f'<p class="why">{escape(" ".join(report.verdict_reasons))}</p>')
        if prior and report.indications:  # the prior-authorisation view: its checklist is what the card is for
            parts.append(render_indications_html(report.indications))
        if report.findings:
            items = "".join(f"<li>{escape(finding.message)}</li>" for finding in report.findings)
            parts.append(f'<ul class="findings">{items}</ul>')
        rows = "".join(_element_row(report, result, performed) for result in report.elements.values())
        parts.append(f'<table class="el"><tr><th>Element</th><th>Status</th><th>Evidence</th></tr>{rows}</table>')
        if report.indications and not prior:
            parts.append(render_indications_html(report.indications))
    parts.append("</article>\n")
    return "".join(parts)


def _verdict_badges(report: Report, outcome: str) -> list[str]:
    """Code, laterality and completeness: what a reviewer scans for first."""
    if report.suggested_code is None:
        badges = ['<span class="badge">no code</span>']
    else:
        badges = [f'<span class="badge code">{escape(report.suggested_code)}</span>']
    if report.laterality != "none":
        badges.append(f'<span class="badge">{report.laterality}</span>')
    state = outcome if outcome != "error" else report.verdict
    badges.append(f'<span class="badge {state}">{_OUTCOME_WORDS[state]}</span>')
    if report.prescreened:
        badges.append('<span class="badge">prescreened</span>')
    return badges


def _element_row(report: Report, result: ElementResult, performed: set[str] | None = None) -> str:
    """Status in words (a gap in red only where the judged code requires the element) and up to MAX_SNIPPETS
    evidence sentences; counted ones before discounted ones."""
    words, tone = status_words(report, result)
    css = {"ok": "ok", "gap": "bad", "neutral": "na"}[tone]
    sides = f"<small>sides: {' + '.join(result.sides)}</small>" if result.sides else ""
    groups = _sentence_groups(result.evidence, performed)
    shown = "".join(_evidence_html(group) for group in groups[:MAX_SNIPPETS]) or '<span class="more">no mention</span>'
    if len(groups) > MAX_SNIPPETS:
        shown += f'<span class="more">+{len(groups) - MAX_SNIPPETS} more sentences</span>'
    return (
        f"<tr><td>{escape(result.label)}<small>{_REQUIREMENT[result.requirement]}</small></td>"
        f'<td class="s-{css}">{words}{sides}</td><td>{shown}</td></tr>'
    )


def _sentence_groups(evidence: list[Evidence], performed: set[str] | None = None) -> list[list[Evidence]]:
    """Mentions grouped by sentence and by how they counted, so a sentence with three matches is shown once.
    Best evidence first: what counted, from the sections that record the procedure, before anything else."""
    groups: dict[tuple[str, str, str | None], list[Evidence]] = {}
    for item in evidence:
        groups.setdefault((item.sentence, item.counted, item.reason), []).append(item)

    def rank(group: list[Evidence]) -> tuple[int, int]:
        first = group[0]
        in_procedure = performed is None or first.section is None or first.section in performed
        return ({"documented": 0, "not_performed": 1}.get(first.counted, 2), 0 if in_procedure else 1)

    return sorted(groups.values(), key=rank)


def _evidence_html(group: list[Evidence]) -> str:
    """One sentence with its matched words marked; a discounted one is muted and says why it did not count."""
    first = group[0]
    notes = [plain(first.section) if first.section else ""]
    notes.extend(_plain_modifier(modifier) for item in group for modifier in item.modifiers)
    if first.counted == "discounted":
        notes.append(f"not counted: {first.reason or 'discounted'}")
    note = " · ".join(dict.fromkeys(n for n in notes if n))
    css = "ev off" if first.counted == "discounted" else "ev"
    tail = f" <em>{escape(note)}</em>" if note else ""
    return f'<p class="{css}">{_highlight(first.sentence, [item.text for item in group])}{tail}</p>'


def _plain_modifier(modifier: str) -> str:
    """'NEGATED_EXISTENCE: no' -> 'negated: no'."""
    category, _, text = modifier.partition(": ")
    return f"{plain(category)}: {text}" if text else plain(category)


@lru_cache(maxsize=4096)
def _mention_pattern(text: str) -> re.Pattern[str] | None:
    """A mention's words with any whitespace between them, compiled once per run for the page's thousands of
    evidence sentences (re's own cache holds 512 patterns, fewer than a night's distinct mentions)."""
    words = text.split()
    return re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, words)) + r"(?!\w)", re.IGNORECASE) if words else None


def _highlight(sentence: str, texts: list[str]) -> str:
    """The sentence, cut to SNIPPET_WIDTH around the first match, escaped, with each mention in <mark>.

    Sentences are whitespace-collapsed while the matched text is as written, so whitespace in the text matches any
    run of whitespace; a word matched n times in the group marks its first n occurrences in the sentence.
    """
    spans: list[tuple[int, int]] = []
    for text, count in Counter(texts).items():
        pattern = _mention_pattern(text)
        if pattern:
            spans.extend(m.span() for m in islice(pattern.finditer(sentence), count))
    spans.sort()
    start, end = 0, len(sentence)
    if len(sentence) > SNIPPET_WIDTH:
        anchor = spans[0][0] if spans else 0
        start = max(0, min(anchor - SNIPPET_WIDTH // 3, len(sentence) - SNIPPET_WIDTH))
        end = start + SNIPPET_WIDTH
    out, at = ["…" if start else ""], start
    for left, right in spans:
        if left < at or right > end:
            continue  # overlaps a mark already placed, or runs past the cut
        out.append(escape(sentence[at:left]) + "<mark>" + escape(sentence[left:right]) + "</mark>")
        at = right
    out.append(escape(sentence[at:end]) + ("…" if end < len(sentence) else ""))
    return "".join(out)
