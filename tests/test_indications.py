"""The indications checklist (issue 13): the issue's bars through the real CLI, every labeled fixture exactly,
the element verdicts and codes untouched on every labeled set, the F1 gate, the loader's validation, queries and
the audit's outputs."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from notecheck import Checker, PatternError, draft_queries, load_patterns
from notecheck.indications.evaluate import read_indication_labels
from notecheck.rules import CRITERION_IDS

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "indications"
LABELED_SETS = [ROOT / "tests" / "corpus", *sorted((ROOT / "tests").glob("holdout*")), ROOT / "tests" / "preauth"]
PATTERNS = ROOT / "patterns"


def cli(*args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "notecheck.cli", *args], capture_output=True, text=True,
                          check=check, cwd=ROOT)


def test_issue_example_through_the_cli() -> None:
    proc = cli("check", "--format", "json", str(FIXTURES / "i001_issue_example.txt"),
               str(FIXTURES / "i002_issue_example_low.txt"))
    high, low = (json.loads(line)["indications"]["criteria"] for line in proc.stdout.splitlines())
    assert list(high) == list(CRITERION_IDS)
    assert {c: r["status"] for c, r in high.items()} == dict.fromkeys(CRITERION_IDS, "documented")
    assert (high["pain_severity"]["value"], high["failed_conservative_care"]["value"]) == (8, 6)
    assert low["pain_severity"]["status"] == low["failed_conservative_care"]["status"] == "below_threshold"
    assert (low["pain_severity"]["value"], low["failed_conservative_care"]["value"]) == (3, 2)
    unchanged = [c for c in CRITERION_IDS if c not in ("pain_severity", "failed_conservative_care")]
    assert all(low[c]["status"] == "documented" for c in unchanged)


def test_every_sample_note_has_the_seven_criteria() -> None:
    proc = cli("check", "--format", "json", *map(str, sorted((ROOT / "sample_notes").glob("*.txt"))))
    reports = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(reports) >= 10
    assert all(list(r["indications"]["criteria"]) == list(CRITERION_IDS) for r in reports)


@pytest.mark.parametrize("label", read_indication_labels(FIXTURES / "labels.jsonl"), ids=lambda label: label.id)
def test_fixture_exactly(checker: Checker, label) -> None:  # type: ignore[no-untyped-def]
    """Numbers in words, ranges (lower end compared), wrong-kind values, negation, plans, inpatient threshold."""
    report = checker.check_text((FIXTURES / f"{label.id}.txt").read_text(encoding="utf-8"), note_id=label.id)
    assert report.indications is not None
    got = {c: r.status for c, r in report.indications.criteria.items()}
    assert got == label.criteria
    for criterion, value in label.values.items():
        assert report.indications.criteria[criterion].value == pytest.approx(value) if isinstance(value, float) \
            else report.indications.criteria[criterion].value == value, criterion


REFERRAL = """Dear Dr. Okafor,\r\n\r\nI am referring Mrs. D for evaluation for sacroplasty. MRI pelvis on 02/27/2024 showed
an acute insufficiency fracture of the left sacral ala. Pain today 8/10. She has been on acetaminophen and PT for
the last 8 weeks without relief. She now uses a walker at all times. She continues alendronate.
"""


def test_a_referral_is_read_without_the_pipeline() -> None:
    """A referral names a planned sacroplasty and a sacral fracture but no procedure element: the element
    pre-screen skips it (no code, not a sacral procedure), its checklist is read all the same, offsets into the
    note as written, and no medspaCy pipeline is built for it."""
    fresh = Checker()
    report = fresh.check_text(REFERRAL, note_id="referral")
    assert report.prescreened and not report.sacral_procedure and report.suggested_code is None
    assert "scanner" not in fresh.__dict__  # the cached pipeline was never built
    block = report.indications
    assert block is not None and block.read
    assert {c: r.status for c, r in block.criteria.items()} == {
        "fracture_on_imaging": "documented", "etiology": "documented", "pain_severity": "documented",
        "failed_conservative_care": "documented", "functional_impairment": "documented",
        "contraindications_addressed": "missing", "osteoporosis_follow_up": "documented"}
    assert (block.criteria["pain_severity"].value, block.criteria["failed_conservative_care"].value) == (8, 8)
    for result in block.criteria.values():
        for item in result.evidence:
            assert REFERRAL[item.start:item.end] == item.text


def test_a_note_naming_no_sacral_fracture_stays_unread() -> None:
    """An L1 compression fracture consult (pain, care, function all stated) names neither a sacral augmentation
    nor a sacral fracture: not read, every criterion missing, as before the checklist read referrals."""
    text = REFERRAL.replace("sacroplasty", "kyphoplasty").replace("of the left sacral ala", "of L1")
    block = Checker().check_text(text).indications
    assert block is not None and not block.read
    assert {r.status for r in block.criteria.values()} == {"missing"}


CASES = ROOT / "tests" / "cases" / "indications"


def _cases() -> list:  # type: ignore[type-arg]
    params = []
    for file in sorted(CASES.glob("*.json")):
        data = json.loads(file.read_text(encoding="utf-8"))
        for case in data["cases"]:
            params.append(pytest.param(data["criterion"], data["preamble"] + case["text"] + "\n", case["expect"],
                                       id=f"{file.stem}:{case['name']}"))
    return params


@pytest.fixture(scope="module")
def full_pipeline(checker: Checker) -> Checker:
    """The same checker with the element pre-screen off: every case also goes through the medspaCy scan."""
    full = Checker(checker.patterns, prescreen=False)
    full.__dict__["scanner"] = checker.scanner
    return full


@pytest.mark.parametrize(("criterion", "text", "expect"), _cases())
def test_case(checker: Checker, full_pipeline: Checker, criterion: str, text: str, expect: dict) -> None:  # type: ignore[type-arg]
    """Data-driven cases per criterion (tests/cases/indications/): a phrasing and what the checklist must read,
    the same whether the note was read without the pipeline (pre-screened) or through it."""
    for reader in (checker, full_pipeline):
        block = reader.check_text(text).indications
        assert block is not None and block.read
        result = block.criteria[criterion]
        assert result.status == expect["status"], [e.model_dump() for e in result.evidence]
        if "value" in expect:
            assert result.value == (pytest.approx(expect["value"]) if isinstance(expect["value"], float)
                                    else expect["value"]), [e.model_dump() for e in result.evidence]


def test_every_criterion_has_a_case_file() -> None:
    assert {p.stem for p in CASES.glob("*.json")} == set(CRITERION_IDS)


def test_evidence_offsets_point_into_the_note_as_written(checker: Checker) -> None:
    text = (FIXTURES / "i003_words_and_ranges.txt").read_text(encoding="utf-8")
    report = checker.check_text(text)
    assert report.indications is not None
    for result in report.indications.criteria.values():
        for item in result.evidence:
            assert text[item.start:item.end] == item.text
            assert item.sentence in " ".join(text.split())


def test_elements_and_codes_unchanged_on_every_labeled_set(checker: Checker) -> None:
    """The checklist never changes an element verdict or the code: with it off, only the block differs."""
    off = Checker(checker.patterns, indications=None)
    off.__dict__["scanner"] = checker.scanner  # the same pipeline; the cached_property reads it from here
    checked = 0
    for folder in LABELED_SETS:
        for path in sorted(folder.glob("*.txt")):
            text = path.read_text(encoding="utf-8", errors="replace")
            with_block, without = checker.check_text(text, path.stem), off.check_text(text, path.stem)
            assert without.indications is None and with_block.indications is not None
            assert with_block.model_dump(exclude={"indications"}) == without.model_dump(exclude={"indications"}), path
            checked += 1
    assert checked >= 300


def test_f1_gate_in_eval() -> None:
    proc = cli("eval", "tests/corpus", "tests/corpus/labels.jsonl",
               "--indications-labels", "tests/corpus/indications.jsonl",
               "--indications-labels", "tests/indications/labels.jsonl", "--min-indication-f1", "0.9")
    assert proc.returncode == 0, proc.stderr
    table = proc.stdout[proc.stdout.index("indications checklist"):]
    for criterion in CRITERION_IDS:
        f1 = float(re.search(rf"^{criterion}\s+\S+\s+\S+\s+(\S+)", table, re.MULTILINE).group(1))
        assert f1 >= 0.9, criterion
    assert len(read_indication_labels(ROOT / "tests/corpus/indications.jsonl")) >= 40


PREAUTH_MIN_F1 = 0.97
PREAUTH_MIN_VALUES = 0.95


def test_preauth_gate_in_eval() -> None:
    """The CI gate on the pre-procedure documents (tests/preauth, issue 23), just under their figures (README,
    Indications checklist): every criterion's F1, and the labeled pain scores and weeks of care read right."""
    proc = cli("eval", "tests/corpus", "tests/corpus/labels.jsonl", "--indications-labels",
               "tests/preauth/labels.jsonl", "--min-indication-f1", str(PREAUTH_MIN_F1), "--format", "json")
    assert proc.returncode == 0, proc.stderr + proc.stdout[-3000:]
    result = json.loads(proc.stdout)["indications"]
    assert result["notes"] == 40
    for criterion in ("pain_severity", "failed_conservative_care"):
        values = result["values"][criterion]
        assert values["labeled"] >= 30 and values["right"] / values["labeled"] >= PREAUTH_MIN_VALUES, criterion


def test_eval_gate_fails_below_the_bar(tmp_path: Path) -> None:
    """A label the checker cannot meet drops an F1 below 1.0: the gate must then fail."""
    wrong = tmp_path / "labels.jsonl"
    rows = [json.loads(line) for line in (FIXTURES / "labels.jsonl").read_text(encoding="utf-8").splitlines()]
    for row in rows:
        row["criteria"]["etiology"] = "missing"
    wrong.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    for row in rows:
        shutil.copy(FIXTURES / f"{row['id']}.txt", tmp_path)
    proc = cli("eval", "tests/corpus", "tests/corpus/labels.jsonl", "--indications-labels", str(wrong),
               "--min-indication-f1", "0.9")
    assert proc.returncode == 1 and "below --min-indication-f1" in proc.stderr


def _edited_patterns(tmp_path: Path, edit) -> Path:  # type: ignore[no-untyped-def]
    copy = tmp_path / "patterns"
    shutil.copytree(PATTERNS, copy)
    target = copy / "indications" / "lcd-vertebral-augmentation.json"
    data = json.loads(target.read_text(encoding="utf-8"))
    edit(data)
    target.write_text(json.dumps(data), encoding="utf-8")
    return copy


def test_loader_reports_every_problem_with_its_file(tmp_path: Path) -> None:
    def edit(data: dict) -> None:  # type: ignore[type-arg]
        data["criteria"][0]["id"] = "fracture"
        data["criteria"][2]["value"]["threshold"] = ["pain_nowhere"]
        data["criteria"][3]["discount"] = ["unknown_cue"]

    with pytest.raises(PatternError) as caught:
        load_patterns(_edited_patterns(tmp_path / "names", edit))
    message = str(caught.value)
    for needed in ("expected exactly fracture_on_imaging", "'pain_nowhere' is not under 'thresholds'",
                   "'unknown_cue' is not under 'cues'"):
        assert needed in message
    assert message.count("indications/lcd-vertebral-augmentation.json") == 3

    def broken(data: dict) -> None:  # type: ignore[type-arg]
        data["criteria"][4]["terms"] = ["(unclosed"]
        del data["sources"]

    with pytest.raises(PatternError) as caught:
        load_patterns(_edited_patterns(tmp_path / "schema", broken))
    assert "criteria.4.terms.0" in str(caught.value) and "sources: Field required" in str(caught.value)


def test_thresholds_come_from_the_set(tmp_path: Path) -> None:
    def edit(data: dict) -> None:  # type: ignore[type-arg]
        data["thresholds"]["pain_outpatient"]["value"] = 9

    checker = Checker(load_patterns(_edited_patterns(tmp_path, edit)))
    report = checker.check_text((FIXTURES / "i001_issue_example.txt").read_text(encoding="utf-8"))
    assert report.indications is not None
    pain = report.indications.criteria["pain_severity"]
    assert (pain.status, pain.value, pain.threshold) == ("below_threshold", 8, 9)


def test_cli_selects_and_disables_the_set() -> None:
    note = str(FIXTURES / "i001_issue_example.txt")
    named = cli("check", "--format", "json", "--indications", "lcd-vertebral-augmentation", note)
    assert json.loads(named.stdout)["indications"]["criteria_set"] == "lcd-vertebral-augmentation"
    assert json.loads(cli("check", "--format", "json", "--indications", "none", note).stdout)["indications"] is None
    unknown = cli("check", "--indications", "nope", note)
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1 and "unknown indications set" in unknown.stderr
    text = cli("check", note).stdout
    assert "coverage aid, not a coding rule" in text
    worksheet = cli("check", "--format", "markdown", note).stdout
    assert "## Indications checklist (coverage aid, not a coding rule" in worksheet


def test_queries_ask_without_naming_a_number(checker: Checker) -> None:
    """Pain named without a rating and care without its course get a query that asks for neither number."""
    text = (FIXTURES / "i005_wrong_kind.txt").read_text(encoding="utf-8")
    report = checker.check_text(text, note_id="i005")
    assert not [q for q in draft_queries(report, checker.patterns) if q.audience != "provider"]  # only on request
    gaps = {q.gap: q for q in draft_queries(report, checker.patterns, indication_queries=True)}
    assert "indication_failed_conservative_care" in gaps
    assert gaps["indication_failed_conservative_care"].audience == "prior_authorization"
    pain_free = checker.check_text(text.replace("Back pain for 3 months despite acetaminophen.", ""))
    assert "indication_failed_conservative_care" not in {q.gap for q in draft_queries(pain_free, checker.patterns,
                                                                                      indication_queries=True)}
    for query in gaps.values():
        if query.gap.startswith("indication_"):
            assert not re.search(r"\d", query.question + " ".join(query.options))
            assert "Unable to determine" in query.options


def test_audit_outputs_show_the_checklist(tmp_path: Path) -> None:
    out = tmp_path / "audit"
    proc = cli("audit", str(FIXTURES), "-o", str(out), "--quiet", "--workers", "1", "--fail-on", "never")
    assert proc.returncode == 0, proc.stderr
    with (out / "results.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    example = next(r for r in rows if r["note_id"] == "i001_issue_example")
    assert all(example[f"indication_{c}"] == "documented" for c in CRITERION_IDS)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert set(summary["indications"]) == set(CRITERION_IDS)
    assert sum(summary["indications"]["pain_severity"].values()) == sum(
        1 for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
        if json.loads(line)["report"]["sacral_procedure"])
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("coverage aid, not a coding rule") >= len(rows)


def test_audit_shows_prior_authorisation_checklists_in_a_view_of_their_own(tmp_path: Path) -> None:
    """A referral (checklist read, no sacral procedure), a lumbar kyphoplasty consult (names no sacral fracture)
    and a sacroplasty procedure note: only the referral is in prior_auth.csv, the summary's prior_authorisation
    counts and the HTML view; the procedure note stays in the sacral-procedure figures."""
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "referral.txt").write_text(REFERRAL, encoding="utf-8")
    (notes / "kyphoplasty.txt").write_text(REFERRAL.replace("sacroplasty", "kyphoplasty")
                                           .replace("of the left sacral ala", "of L1"), encoding="utf-8")
    shutil.copy(FIXTURES / "i001_issue_example.txt", notes / "procedure.txt")
    out = tmp_path / "audit"
    proc = cli("audit", str(notes), "-o", str(out), "--quiet", "--workers", "1", "--fail-on", "never")
    assert proc.returncode == 0, proc.stderr
    with (out / "prior_auth.csv").open(encoding="utf-8") as handle:
        prior = list(csv.DictReader(handle))
    assert [r["note_id"] for r in prior] == ["referral"]
    assert (prior[0]["pain_severity"], prior[0]["pain_severity_value"]) == ("documented", "8")
    assert (prior[0]["failed_conservative_care"], prior[0]["failed_conservative_care_value"]) == ("documented", "8")
    assert prior[0]["document_type"] == "letter" and prior[0]["setting"] == "outpatient"
    with (out / "results.csv").open(encoding="utf-8") as handle:
        outcomes = {r["note_id"]: r["outcome"] for r in csv.DictReader(handle)}
    assert outcomes == {"referral": "not_applicable", "kyphoplasty": "not_applicable", "procedure": "complete"}
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["prior_authorisation"]["pain_severity"] == {"documented": 1, "below_threshold": 0, "missing": 0}
    assert sum(summary["indications"]["pain_severity"].values()) == 1  # the procedure note alone
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count('data-view="prior_auth"') == 1 and "prior authorisation (1)</button>" in html
    assert "Prior-authorisation checklists" in html
