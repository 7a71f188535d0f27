"use strict";
// The coder's page. Every piece of note or report text goes into the DOM through textContent: never innerHTML.
(function () {
  const $ = (id) => document.getElementById(id);
  const STATUS = {documented: "documented", not_performed: "not performed", missing: "MISSING"};
  const REQUIREMENT = {required: "required", when_performed: "when performed", not_required: "not required"};
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
    const response = await fetch(path, {method: "POST", headers: headers("application/json"), body: JSON.stringify(body)});
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
  }

  function requestBody() {
    const text = $("note").value.replace(/^\ufeff/, "");
    return {note_id: $("note-id").value.trim() || "note", text: text, profile: $("profile").value};
  }

  async function checkNote() {
    const body = requestBody();
    if (!body.text.trim()) { showError("Paste a note or open a .txt file first."); $("note").focus(); return; }
    showError("");
    $("check").disabled = true;
    try {
      const [report, queries] = await Promise.all([
        post("/v1/check", body).then((r) => r.json()),
        post("/v1/query", body).then((r) => r.json()),
      ]);
      current = {noteId: body.note_id, text: body.text, profile: body.profile, report: report};
      const loaded = notes.find((n) => n.name === body.note_id);
      if (loaded) { loaded.report = report; renderFileList(); }
      render(report, queries.queries, body.text);
    } catch (error) {
      showError(error.message);
    } finally {
      $("check").disabled = false;
    }
  }

  function verdictBadges(report) {
    const code = report.suggested_code;
    return [
      el("span", {class: "badge " + (code ? "code" : "none"), "data-field": "code"}, code ? "Supports " + code : "No code supported"),
      el("span", {class: "badge " + (report.complete ? "complete" : "incomplete"), "data-field": "complete"},
         report.profile + (report.complete ? " complete" : " incomplete")),
      el("span", {class: "badge", "data-field": "laterality"}, "Laterality: " + report.laterality),
    ];
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

  // One mark per evidence span (overlaps folded into the first); returns element id -> its first mark.
  function renderNote(report, text) {
    const view = $("note-view");
    view.replaceChildren();
    const map = utf16Offsets(text);
    const at = (offset) => (map ? map[Math.min(offset, map.length - 1)] : offset);
    const spans = [];
    for (const [id, result] of Object.entries(report.elements)) {
      result.evidence.forEach((ev, index) => spans.push({id, label: result.label, ev, index,
                                                          start: at(ev.start), end: at(ev.end)}));
    }
    // the checklist's counted statements, marked apart: a coverage aid, not evidence for the code
    for (const [id, result] of Object.entries(report.indications ? report.indications.criteria : {})) {
      result.evidence.forEach((ev, index) => {
        if (ev.counted !== "discounted") {
          spans.push({id: "ind-" + id, label: result.label + " (coverage aid)", ev, index, css: "indication",
                      start: at(ev.start), end: at(ev.end)});
        }
      });
    }
    spans.sort((a, b) => a.start - b.start || b.end - a.end);
    const firstMark = {};
    let cursor = 0;
    let last = null;
    for (const span of spans) {
      if (span.start >= span.end || span.end > text.length) continue;
      if (last && span.start < cursor) {  // overlaps the previous mark: that mark stands for both
        last.title += "\n" + span.label + ": " + span.ev.counted;
        if (!firstMark[span.id] || (span.ev.counted !== "discounted" && firstMark[span.id].dataset.counted === "discounted")) {
          firstMark[span.id] = last;
        }
        continue;
      }
      view.append(document.createTextNode(text.slice(cursor, span.start)));
      const mark = el("mark", {class: span.css || span.ev.counted, tabindex: "-1", "data-element": span.id,
                               "data-counted": span.ev.counted, id: "ev-" + span.id + "-" + span.index});
      mark.textContent = text.slice(span.start, span.end);
      mark.title = span.label + ": " + span.ev.counted + (span.ev.reason ? " (" + span.ev.reason + ")" : "");
      view.append(mark);
      if (!firstMark[span.id] || (span.ev.counted !== "discounted" && firstMark[span.id].dataset.counted === "discounted")) {
        firstMark[span.id] = mark;
      }
      cursor = span.end;
      last = mark;
    }
    view.append(document.createTextNode(text.slice(cursor)));
    return firstMark;
  }

  function jumpTo(mark) {
    for (const old of document.querySelectorAll("mark.current")) old.classList.remove("current");
    mark.classList.add("current");
    mark.scrollIntoView({block: "center"});
    mark.focus({preventScroll: true});
  }

  function queryText(query) {
    const lines = ["Query: " + query.topic, "", "Clinical indicators from the note:"];
    for (const i of query.indicators) {
      lines.push('  - "' + i.quote + '" (line ' + i.line + (i.section ? ", " + i.section + " section" : "") + ")");
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
    const marks = renderNote(report, text);

    const rows = Object.entries(report.elements).map(([id, result]) => {
      const name = marks[id]
        ? el("button", {type: "button", "data-element": id, "aria-label": result.label + ": show evidence"}, result.label)
        : el("span", {"data-element": id}, result.label);
      if (marks[id]) name.addEventListener("click", () => jumpTo(marks[id]));
      const sides = result.sides.length ? " (" + result.sides.join("+") + ")" : "";
      return el("tr", {"data-element": id},
        el("td", null, name),
        el("td", {class: "st-" + result.status, "data-status": result.status}, STATUS[result.status] + sides),
        el("td", null, REQUIREMENT[result.requirement]));
    });
    $("elements").replaceChildren(...rows);

    const findings = report.findings.map((f) => el("li", {"data-kind": f.kind}, f.message));
    $("findings").replaceChildren(...(findings.length ? findings : [el("li", null, "None.")]));
    renderChecklist(report.indications, marks);

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
      if (marks[key]) name.addEventListener("click", () => jumpTo(marks[key]));
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
      const response = await post("/v1/worksheet", {note_id: current.noteId, text: current.text, profile: current.profile});
      const blob = new Blob([await response.text()], {type: "text/markdown"});
      const link = el("a", {href: URL.createObjectURL(blob), download: "worksheet-" + current.noteId + ".md"});
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
      const verdict = note.report ? (note.report.suggested_code || "no code") + (note.report.complete ? " ✓" : " ✗") : "";
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
      post("/v1/check", {note_id: note.name, text: note.text.replace(/^\ufeff/, ""), profile: $("profile").value})
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
    $("profile").replaceChildren(...ready.profiles.map((p) => el("option", p === ready.default_profile ? {selected: ""} : {}, p)));
  }).catch(() => {});
  document.documentElement.dataset.ready = "1";
})();
