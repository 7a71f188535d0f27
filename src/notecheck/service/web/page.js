"use strict";
// The coder's page. Every piece of note or report text goes into the DOM through textContent: never innerHTML.
(function () {
  const $ = (id) => document.getElementById(id);
  const REQUIREMENT = {required: "required", when_performed: "when performed", not_required: "not required"};
  const VERDICT = {complete: "Complete", incomplete: "Incomplete", review: "Review: a person should read this note",
                   not_applicable: "Not applicable"};
  // What a mention counted as, in words: every colour on the page also says its meaning in text (WCAG 1.4.1).
  const COUNTED = {documented: "documented", not_performed: "not performed", discounted: "not counted",
                   below_threshold: "below threshold"};
  const STRENGTH = {documented: 3, not_performed: 2, discounted: 1};
  const PHRASES_SHOWN = 3;  // evidence phrases under an element row; the note view marks them all
  const PHRASE_WIDTH = 240; // characters of a long sentence shown around its first match

  // An element's status in words and its tone, as every notecheck output says it (outputs/words.py): a gap only
  // where the code the note is judged against requires the element; an optional step not done is neutral.
  function statusWords(report, result) {
    if (result.status === "documented") return ["documented", "ok"];
    const done = result.status === "not_performed" ? "not performed" : "not mentioned";
    if (report.verdict === "not_applicable") return [done, "neutral"];
    if (result.requirement === "required") {
      return [(result.status === "not_performed" ? "NOT PERFORMED" : "MISSING") + " (required)", "gap"];
    }
    return [done + " (optional)", "neutral"];
  }
  const CRITERION_STATUS = {documented: "documented", below_threshold: "below threshold", missing: "MISSING"};
  const UNITS = {pain_severity: "/10", failed_conservative_care: " weeks"};
  let notes = [];      // loaded files: {name, text, report}
  let current = null;  // {noteId, text, profile, report}

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "class") node.className = value; else node.setAttribute(key, value);
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function headers(type) {
    const h = {"Content-Type": type};
    const key = $("api-key").value.trim();
    if (key) h["X-API-Key"] = key;
    return h;
  }

  async function post(path, body) {
    let response;
    try {
      response = await fetch(path, {method: "POST", headers: headers("application/json"), body: JSON.stringify(body)});
    } catch (e) {
      throw new Error("The notecheck service cannot be reached. Check that it is running, then try again.");
    }
    if (!response.ok) {
      let message = "HTTP " + response.status;
      try { message = (await response.json()).message || message; } catch (e) { /* not JSON */ }
      if (response.status === 401) { $("api-key").closest("details").open = true; }
      throw new Error(message);
    }
    return response;
  }

  function showError(message) {
    $("error").textContent = message || "";
    $("error").hidden = !message;
    if (message) { $("result").hidden = true; current = null; }  // never leave a verdict beside an error
  }

  function requestBody() {
    const text = $("note").value.replace(/^\ufeff/, "");
    const body = {note_id: $("note-id").value.trim() || "note", text: text};
    if ($("profile").value) body.billed_code = $("profile").value;
    return body;
  }

  async function checkNote() {
    const body = requestBody();
    if (!body.text.trim()) { showError("Paste a note or open a .txt file first."); $("note").focus(); return; }
    showError("");
    $("check").disabled = true;
    try {
      const [report, queries] = await Promise.all([
        post("/v1/check", body).then((r) => r.json()),
        post("/v1/query" + queryFlag(), body).then((r) => r.json()),
      ]);
      current = {body: body, report: report};
      const loaded = notes.find((n) => n.name === body.note_id);
      if (loaded) { loaded.report = report; renderFileList(); }
      render(report, queries.queries, body.text);
    } catch (error) {
      showError(error.message);
    } finally {
      $("check").disabled = false;
    }
  }

  function queryFlag() { return $("indication-queries").checked ? "?indication_queries=true" : ""; }

  function verdictBadges(report) {
    const code = report.suggested_code;
    const against = report.verdict === "incomplete" && report.profile ? " against " + report.profile : "";
    const badges = [
      el("span", {class: "badge " + report.verdict, "data-field": "verdict"}, VERDICT[report.verdict] + against),
      el("span", {class: "badge " + (code ? "code" : "none"), "data-field": "code"}, code ? "Supports " + code : "No code supported"),
      el("span", {class: "badge", "data-field": "laterality"}, "Laterality: " + report.laterality),
    ];
    if (report.verdict_reasons.length) {
      badges.push(el("p", {class: "reasons", "data-field": "reasons"}, report.verdict_reasons.join(" ")));
    }
    return badges;
  }

  // Offsets in the report count Unicode code points (Python); the DOM counts UTF-16 units.
  function utf16Offsets(text) {
    if (!/[\ud800-\udfff]/.test(text)) return null;
    const map = [];
    let unit = 0;
    for (const ch of text) { map.push(unit); unit += ch.length; }
    map.push(unit);
    return map;
  }

  // One mark per evidence span, labelled with what it counted as; spans that overlap share one mark, which covers
  // them whole and shows the strongest. Returns the mark of every evidence ("element-index") and each element's
  // first mark (a counted one where there is one).
  function renderNote(report, text) {
    const view = $("note-view");
    view.replaceChildren();
    const map = utf16Offsets(text);
    const at = (offset) => (map ? map[Math.min(offset, map.length - 1)] : offset);
    const spans = [];
    for (const [id, result] of Object.entries(report.elements)) {
      result.evidence.forEach((ev, index) => spans.push({id, label: result.label, ev, key: id + "-" + index,
                                                          start: at(ev.start), end: at(ev.end)}));
    }
    // the checklist's counted statements, marked apart: a coverage aid, not evidence for the code
    for (const [id, result] of Object.entries(report.indications ? report.indications.criteria : {})) {
      result.evidence.forEach((ev, index) => {
        if (ev.counted !== "discounted") {
          spans.push({id: "ind-" + id, label: result.label + " (coverage aid)", ev, key: "ind-" + id + "-" + index,
                      css: "indication", start: at(ev.start), end: at(ev.end)});
        }
      });
    }
    spans.sort((a, b) => a.start - b.start || b.end - a.end);
    const groups = [];
    for (const span of spans) {
      if (span.start >= span.end || span.end > text.length) continue;
      const last = groups[groups.length - 1];
      if (last && span.start < last.end) { last.spans.push(span); last.end = Math.max(last.end, span.end); }
      else groups.push({start: span.start, end: span.end, spans: [span]});
    }
    const marks = new Map();
    const first = {};
    let cursor = 0;
    for (const group of groups) {
      view.append(document.createTextNode(text.slice(cursor, group.start)));
      const mark = noteMark(group, text);
      view.append(mark);
      for (const span of group.spans) {
        marks.set(span.key, mark);
        if (!first[span.id] || (span.ev.counted !== "discounted" && first[span.id].dataset.counted === "discounted")) {
          first[span.id] = mark;
        }
      }
      cursor = group.end;
    }
    view.append(document.createTextNode(text.slice(cursor)));
    return {marks, first};
  }

  function noteMark(group, text) {
    // an element's evidence outranks the checklist's statements, which are a coverage aid, not evidence
    const strength = (span) => (span.css ? 0 : STRENGTH[span.ev.counted]);
    const strongest = group.spans.reduce((a, b) => (strength(b) > strength(a) ? b : a));
    const counted = strongest.ev.counted;
    const labels = [...new Set(group.spans.map((span) => COUNTED[span.ev.counted]))];
    const mark = el("mark", {class: strongest.css || counted, tabindex: "-1", "data-element": strongest.id, "data-counted": counted,
                             "data-label": labels.join(", "), id: "ev-" + strongest.key});
    mark.textContent = text.slice(group.start, group.end);
    mark.title = group.spans.map((span) => span.label + ": " + COUNTED[span.ev.counted]
                                 + (span.ev.reason ? " (" + span.ev.reason + ")" : "")).join("\n");
    mark.dataset.elements = [...new Set(group.spans.map((span) => span.id))].join(" ");
    return mark;
  }

  // Jump to an evidence mark; every mark of that element shows its label (what it counted as) in the note.
  function jumpTo(mark, elementId) {
    for (const old of document.querySelectorAll("#note-view mark.current, #note-view mark.selected")) {
      old.classList.remove("current", "selected");
    }
    for (const other of document.querySelectorAll("#note-view mark")) {
      if (other.dataset.elements.split(" ").includes(elementId)) other.classList.add("selected");
    }
    mark.classList.add("current");
    mark.scrollIntoView({block: "center"});
    mark.focus({preventScroll: true});
  }

  // The evidence of one element, next to its row: each sentence it was found in, tinted by what it counted as,
  // its matched words marked, with the label in words; counted phrases first (the report's order).
  function evidenceRow(id, result, marks) {
    const groups = new Map();
    result.evidence.forEach((ev, index) => {
      const key = ev.sentence + "\u0000" + ev.counted + "\u0000" + (ev.reason || "");
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push({ev, mark: marks.get(id + "-" + index)});
    });
    const items = [...groups.values()].slice(0, PHRASES_SHOWN).map((group) => phrase(id, result, group));
    if (groups.size > PHRASES_SHOWN) {
      items.push(el("li", {class: "more"}, "+" + (groups.size - PHRASES_SHOWN) + " more in the note"));
    }
    return el("tr", {class: "evidence", "data-evidence-for": id},
              el("td", {colspan: "3"}, el("ul", {class: "phrases", "aria-label": result.label + ": evidence"}, ...items)));
  }

  function phrase(id, result, group) {
    const ev = group[0].ev;
    const words = COUNTED[ev.counted] + (ev.reason ? ": " + ev.reason : "");
    const item = el("li", {class: "phrase " + ev.counted, "data-counted": ev.counted},
                    el("span", {class: "tag"}, words), " ",
                    el("q", null, ...highlighted(ev.sentence, group.map((g) => g.ev.text), ev.counted)));
    const mark = group.find((g) => g.mark)?.mark;
    if (mark) {
      const show = el("button", {type: "button", class: "show", "aria-label": result.label + ": show line " + ev.line
                                 + " in the note"}, "line " + ev.line);
      show.addEventListener("click", () => jumpTo(mark, id));
      item.append(" ", show);
    }
    return item;
  }

  // The sentence (cut to PHRASE_WIDTH around the first match) with each matched text marked: a match written over a
  // line break matches any run of whitespace, and a text matched n times marks its first n occurrences that no
  // longer text took ("needle" beside "bone access needle").
  function highlighted(sentence, texts, counted) {
    const spans = [];
    const counts = new Map();
    for (const t of texts) counts.set(t, (counts.get(t) || 0) + 1);
    for (const [t, n] of [...counts].sort((a, b) => b[0].length - a[0].length)) {
      const words = t.trim().split(/\s+/).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
      const free = [...sentence.matchAll(new RegExp(words.join("\\s+"), "gi"))]
        .map((m) => [m.index, m.index + m[0].length])
        .filter(([left, right]) => spans.every(([l, r]) => right <= l || left >= r));
      spans.push(...free.slice(0, n));
    }
    spans.sort((a, b) => a[0] - b[0]);
    let from = 0;
    let to = sentence.length;
    if (sentence.length > PHRASE_WIDTH) {
      const anchor = spans.length ? spans[0][0] : 0;
      from = Math.max(0, Math.min(anchor - Math.floor(PHRASE_WIDTH / 3), sentence.length - PHRASE_WIDTH));
      to = from + PHRASE_WIDTH;
    }
    const nodes = [from > 0 ? "…" : ""];
    let cursor = from;
    for (const [left, right] of spans) {
      if (left < cursor || right > to) continue;  // overlaps a mark already placed, or runs past the cut
      nodes.push(sentence.slice(cursor, left), el("mark", {class: counted}, sentence.slice(left, right)));
      cursor = right;
    }
    nodes.push(sentence.slice(cursor, to) + (to < sentence.length ? "…" : ""));
    return nodes;
  }

  function queryText(query) {
    const audience = query.audience === "prior_authorization" ? " (for prior-authorisation staff)" : "";
    const lines = ["Query" + audience + ": " + query.topic, "", "Clinical indicators from the note:"];
    for (const i of query.indicators) {
      const section = i.section && i.section !== "other" ? ", " + i.section.replace(/_/g, " ") + " section" : "";
      lines.push('  - "' + i.quote + '" (line ' + i.line + section + ")");
    }
    lines.push("", query.question, "");
    if (query.options.length) { for (const o of query.options) lines.push("  [ ] " + o); }
    else lines.push("  Response: ______________________________");
    return lines.join("\n") + "\n";
  }

  async function copy(text, button) {
    try {
      if (navigator.clipboard && window.isSecureContext) await navigator.clipboard.writeText(text);
      else {
        const area = el("textarea", {"aria-hidden": "true"});
        area.value = text;
        document.body.append(area);
        area.select();
        document.execCommand("copy");
        area.remove();
      }
      button.textContent = "Copied";
    } catch (e) {
      button.textContent = "Copy failed";
    }
    setTimeout(() => { button.textContent = "Copy"; }, 1500);
  }

  function render(report, queries, text) {
    $("result").hidden = false;
    $("result-note").textContent = "(" + report.note_id + ")";
    $("verdict").replaceChildren(...verdictBadges(report));
    const {marks, first} = renderNote(report, text);

    const rows = Object.entries(report.elements).flatMap(([id, result]) => {
      const name = first[id]
        ? el("button", {type: "button", "data-element": id, "aria-label": result.label + ": show evidence"}, result.label)
        : el("span", {"data-element": id}, result.label);
      if (first[id]) name.addEventListener("click", () => jumpTo(first[id], id));
      const sides = result.sides.length ? " (" + result.sides.join("+") + ")" : "";
      const [words, tone] = statusWords(report, result);
      const row = el("tr", {"data-element": id},
        el("td", null, name),
        el("td", {class: "st-" + tone, "data-status": result.status}, words + sides),
        el("td", null, REQUIREMENT[result.requirement]));
      return result.evidence.length ? [row, evidenceRow(id, result, marks)] : [row];
    });
    $("elements").replaceChildren(...rows);

    const findings = report.findings.map((f) => el("li", {"data-kind": f.kind}, f.message));
    $("findings").replaceChildren(...(findings.length ? findings : [el("li", null, "None.")]));
    renderChecklist(report.indications, first);

    const cards = queries.map((query) => {
      const body = queryText(query);
      const button = el("button", {type: "button", "aria-label": "Copy query: " + query.topic}, "Copy");
      button.addEventListener("click", () => copy(body, button));
      return el("article", {class: "query", "data-gap": query.gap}, el("h4", null, el("span", null, query.topic), button),
                el("pre", null, body));
    });
    $("queries").replaceChildren(...(cards.length ? cards : [el("p", null, "None needed.")]));
  }

  // '8/10 (threshold 5)', '1.3 weeks (threshold 6)', 'MRI, 03/29/2024', as the worksheet words them
  function valueWords(id, result) {
    if (result.value === null || result.value === undefined) return "";
    if (typeof result.value === "number") {
      const threshold = result.threshold !== null && result.threshold !== undefined ? " (threshold " + result.threshold + ")" : "";
      return (result.detail && id === "functional_impairment" ? result.detail : result.value + (UNITS[id] || "")) + threshold;
    }
    return result.detail && id === "fracture_on_imaging" ? result.detail : String(result.value);
  }

  function renderChecklist(block, marks) {
    $("ind-panel").hidden = !block;
    if (!block) return;
    $("ind-notice").textContent = block.notice + " Set " + block.criteria_set + ", " + block.setting + " thresholds.";
    $("ind-sources").textContent = "Sources: " + block.sources.join("; ");
    if (!block.read) {
      $("indications").replaceChildren(el("tr", null, el("td", {colspan: "3"},
        "Not read: the note names no sacral augmentation or sacral fracture; every criterion is missing.")));
      return;
    }
    $("indications").replaceChildren(...Object.entries(block.criteria).map(([id, result]) => {
      const key = "ind-" + id;
      const name = marks[key]
        ? el("button", {type: "button", "data-criterion": id, "aria-label": result.label + ": show the statement"}, result.label)
        : el("span", null, result.label);
      if (marks[key]) name.addEventListener("click", () => jumpTo(marks[key], key));
      return el("tr", {"data-criterion": id},
        el("td", null, name),
        el("td", {class: "st-" + result.status, "data-status": result.status}, CRITERION_STATUS[result.status]),
        el("td", null, valueWords(id, result)));
    }));
  }

  async function exportWorksheet() {
    if (!current) return;
    showError("");
    try {
      const response = await post("/v1/worksheet" + queryFlag(), current.body);
      const blob = new Blob([await response.text()], {type: "text/markdown"});
      const link = el("a", {href: URL.createObjectURL(blob), download: "worksheet-" + current.body.note_id + ".md"});
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 1000);
    } catch (error) {
      showError(error.message);
    }
  }

  function renderFileList() {
    const list = $("file-list");
    list.hidden = notes.length < 2;
    list.replaceChildren(...notes.map((note) => {
      const verdict = note.report ? (note.report.suggested_code || "no code") + ", " + VERDICT[note.report.verdict].split(":")[0].toLowerCase() : "";
      const button = el("button", {type: "button", "aria-current": String($("note-id").value === note.name)},
                        note.name + (verdict ? " · " + verdict : ""));
      button.addEventListener("click", () => { select(note); checkNote(); });
      return el("li", null, button);
    }));
  }

  function select(note) {
    $("note").value = note.text;
    $("note-id").value = note.name;
    renderFileList();
  }

  async function loadFiles(fileList) {
    const files = Array.from(fileList).filter((f) => /\.txt$/i.test(f.name) || f.type === "text/plain");
    if (!files.length) { showError("Only .txt notes can be opened here."); return; }
    notes = await Promise.all(files.map(async (f) => ({name: f.name.replace(/\.txt$/i, ""), text: await f.text(), report: null})));
    select(notes[0]);
    for (const note of notes.slice(1)) {  // check the others in the background for their verdicts in the list
      const body = {note_id: note.name, text: note.text.replace(/^\ufeff/, "")};
      if ($("profile").value) body.billed_code = $("profile").value;
      post("/v1/check", body)
        .then((r) => r.json()).then((report) => { note.report = report; renderFileList(); }).catch(() => {});
    }
    await checkNote();
  }

  $("check").addEventListener("click", checkNote);
  $("note").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); checkNote(); } });
  $("export").addEventListener("click", exportWorksheet);
  $("print").addEventListener("click", () => window.print());
  $("files").addEventListener("change", (e) => loadFiles(e.target.files));
  document.body.addEventListener("dragover", (e) => { e.preventDefault(); $("dropzone").classList.add("over"); });
  document.body.addEventListener("dragleave", () => $("dropzone").classList.remove("over"));
  document.body.addEventListener("drop", (e) => {
    e.preventDefault();
    $("dropzone").classList.remove("over");
    loadFiles(e.dataTransfer.files);
  });
  fetch("/readyz").then((r) => r.json()).then((ready) => {
    if (!ready.profiles) return;
    $("profile").replaceChildren(el("option", {value: ""}, "as documented"),
      ...ready.profiles.map((p) => el("option", p === ready.default_profile ? {selected: ""} : {}, p)));
  }).catch(() => {});
  document.documentElement.dataset.ready = "1";
})();
