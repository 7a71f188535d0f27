"""Write every output notecheck produces for the repository's own inputs into one folder, for a byte diff.

A change that must not change behaviour (a layout change, a faster matcher) is shown by running this before and
after and comparing the two folders: ``diff -r before/ after/``. It covers check (text, JSON, worksheet) and query
on every labeled and sample note, eval on every labeled set, audit folders (sample notes, the training writers'
notes, HL7, MTSamples when ../shared is present) and the service's responses through its ASGI app.

    python benchmarks/snapshot.py OUT_DIR
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETS = ["sample_notes", "tests/corpus", "tests/holdout", "tests/holdout2", "tests/holdout3", "tests/holdout4",
        "tests/holdout5", "tests/holdout6", "tests/holdout7", "tests/indications", "tests/preauth"]
INDICATION_SETS = ["tests/indications", "tests/preauth"]  # labeled for the checklist only, not for the elements
MTSAMPLES = ROOT.parent / "shared" / "corpora" / "mtsamples" / "mtsamples.csv"


def run(out: Path, name: str, *args: str) -> None:
    """Run the CLI and keep its stdout, stderr and exit code under ``name``."""
    done = subprocess.run([sys.executable, "-m", "notecheck.cli", *args], cwd=ROOT, capture_output=True)
    (out / f"{name}.out").write_bytes(done.stdout)
    (out / f"{name}.err").write_bytes(done.stderr + f"\nexit {done.returncode}\n".encode())


def audit(out: Path, name: str, *inputs: str) -> None:
    folder = out / f"audit_{name}"
    run(out, f"audit_{name}", "audit", *inputs, "-o", str(folder), "--quiet", "--workers", "2")
    html = folder / "report.html"
    if html.exists():  # the run's date and time stand in its header
        html.write_text(re.sub(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?", "DATE", html.read_text("utf-8")), "utf-8")
    manifest = folder / "manifest.json"
    if manifest.exists():
        masked = re.sub(r'"started": "[^"]*"', '"started": "DATE"', manifest.read_text("utf-8"))
        manifest.write_text(re.sub(r'"run_id": "\w+"', '"run_id": "RUN"', masked), "utf-8")  # random per run
    for lock in folder.glob("*.lock"):
        lock.unlink()


def service(out: Path) -> None:
    """Every route's response for the sample notes, through the app in this process."""
    from fastapi.testclient import TestClient

    from notecheck.service import create_app

    responses = {}
    with TestClient(create_app()) as client:
        import time
        while client.get("/readyz").status_code != 200:
            time.sleep(0.2)
        responses["schema"] = client.get("/v1/schema").text
        responses["healthz"] = client.get("/healthz").text
        responses["page"] = client.get("/").text
        notes = sorted((ROOT / "sample_notes").glob("*.txt"))
        for note in notes:
            body = {"note_id": note.stem, "text": note.read_text("utf-8")}
            for route in ("check", "query", "worksheet"):
                responses[f"{route}/{note.stem}"] = client.post(f"/v1/{route}", json=body).text
            responses[f"plain/{note.stem}"] = client.post("/v1/check", content=note.read_bytes(),
                                                          headers={"content-type": "text/plain"}).text
        batch = {"notes": [{"note_id": n.stem, "text": n.read_text("utf-8")} for n in notes]}
        responses["batch"] = client.post("/v1/check/batch", json=batch).text
        for hl7 in sorted((ROOT / "sample_notes" / "hl7").glob("oru*.hl7")):
            responses[f"hl7/{hl7.name}"] = client.post("/v1/check", content=hl7.read_bytes(),
                                                       headers={"content-type": "application/hl7-v2"}).text
    text = json.dumps(responses, indent=1, sort_keys=True)
    (out / "service.json").write_text(re.sub(r'request_id\\?":\\?"\w+', "request_id", text), "utf-8")


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for folder in SETS:
        name = folder.replace("/", "_")
        notes = sorted(str(p.relative_to(ROOT)) for p in (ROOT / folder).glob("*.txt"))
        run(out, f"check_json_{name}", "check", "--format", "json", *notes)
        run(out, f"check_text_{name}", "check", *notes)
        run(out, f"query_{name}", "query", "--format", "json", *notes)
        labels = ROOT / folder / "labels.jsonl"
        if labels.exists() and folder not in INDICATION_SETS:
            run(out, f"eval_{name}", "eval", folder, str(labels), "--format", "json")
    for folder in INDICATION_SETS:
        run(out, f"eval_{folder.replace('/', '_')}", "eval", "tests/corpus", "tests/corpus/labels.jsonl",
            "--indications-labels", f"{folder}/labels.jsonl")
    samples = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "sample_notes").glob("*.txt"))
    run(out, "worksheet", "check", "--format", "markdown", *samples)
    run(out, "query_markdown", "query", "--format", "markdown", *samples)
    run(out, "query_text", "query", *samples)
    run(out, "profile_0200T", "--profile", "0200T", "check", "--format", "json", *samples)
    run(out, "schema", "schema")
    audit(out, "samples", "sample_notes", "--group-by", "provider")
    audit(out, "writers", "training/writers")  # the learned reader's ~1,400 labeled notes, every report
    audit(out, "hl7", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "sample_notes" / "hl7").glob("*.hl7")))
    if MTSAMPLES.exists():
        audit(out, "mtsamples", str(MTSAMPLES), "--text-column", "transcription", "--id-column", "")
        run(out, "negatives", "negatives", str(MTSAMPLES), "--id-column", "", "--text-column", "transcription")
    service(out)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
