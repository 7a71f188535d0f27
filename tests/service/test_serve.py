"""`notecheck serve` through real HTTP on loopback: every endpoint, every error status, and parity with the CLI."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from paths import SAMPLES as SAMPLE_DIR
from serve_support import Server, require_serve

SAMPLES = sorted(SAMPLE_DIR.glob("*.txt"))
KEY = "s3cret-key"

require_serve()
import httpx  # noqa: E402  (after the skip: the [serve] extra brings it)


def cli(*args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "notecheck.cli", *args], capture_output=True, timeout=300)
    assert proc.returncode in (0, 1), proc.stderr.decode()
    return proc.stdout.decode("utf-8")


def post(server: Server, path: str, body: object = None, *, content: bytes | None = None,
         content_type: str = "application/json", **kwargs: object) -> httpx.Response:
    data = content if content is not None else json.dumps(body).encode()
    headers = {"Content-Type": content_type} | dict(kwargs.pop("headers", {}))  # type: ignore[arg-type]
    return httpx.post(server.url + path, content=data, headers=headers, timeout=60, **kwargs)  # type: ignore[arg-type]


def assert_error(response: httpx.Response, status: int, kind: str, field: str | None = None) -> dict:
    """A clear JSON error: the status, a stable kind, the field named, and no stack trace."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "message", "field", "request_id"} and body["error"] == kind, body
    assert body["request_id"] == response.headers["x-request-id"]
    if field is not None:
        assert body["field"] == field and body["message"].startswith(field), body
    assert "Traceback" not in response.text and 'File "' not in response.text
    return body


def fhir(text: bytes, note_id: str, content_type: str = "text/plain; charset=utf-8") -> dict:
    return {"resourceType": "DocumentReference", "id": note_id, "status": "current",
            "content": [{"attachment": {"contentType": "application/pdf", "data": "JVBERi0="}},
                        {"attachment": {"contentType": content_type, "data": base64.b64encode(text).decode()}}]}


@pytest.fixture(scope="module")
def keyed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A second server with NOTECHECK_API_KEY set and a small --max-bytes; its warm-up is watched from the start."""
    running = Server.start(tmp_path_factory.mktemp("keyed") / "server.log", "--max-bytes", "5000",
                           env={"NOTECHECK_API_KEY": KEY})
    yield running
    running.stop()


def test_503_before_ready_then_ready(keyed_server: Server) -> None:
    """While the pipeline warms up, /readyz and the API say 503 (JSON); then /readyz turns 200."""
    early = None
    while early is None:
        try:
            probe = httpx.get(keyed_server.url + "/readyz", timeout=2)
        except httpx.TransportError:
            assert keyed_server.process.poll() is None, keyed_server.log.read_text()
            time.sleep(0.02)
            continue
        if probe.status_code == 200:
            pytest.fail("the server was ready at its first answer; the 503 window could not be observed")
        early = post(keyed_server, "/v1/check", {"text": "sacral cement"}, headers={"X-API-Key": KEY})
        assert_error(probe, 503, "not_ready")
    assert_error(early, 503, "not_ready")
    assert httpx.get(keyed_server.url + "/healthz", timeout=2).json() == {"status": "alive"}
    keyed_server.wait_ready()
    ready = httpx.get(keyed_server.url + "/readyz").json()
    assert ready["status"] == "ready" and ready["auth"] is True and set(ready["profiles"]) == {"0200T", "0201T"}
    print(f"ready {keyed_server.ready_after:.2f} s after start")


def test_401_without_the_key(keyed_server: Server) -> None:
    keyed_server.wait_ready()
    note = {"note_id": "n1", "text": SAMPLES[0].read_text(encoding="utf-8")[:4000]}
    body = assert_error(post(keyed_server, "/v1/check", note), 401, "unauthorized")
    assert "X-API-Key" in body["message"]
    assert_error(post(keyed_server, "/v1/check", note, headers={"X-API-Key": "wrong"}), 401, "unauthorized")
    assert_error(post(keyed_server, "/v1/check", note, headers={"Authorization": "Bearer wrong"}), 401,
                 "unauthorized")
    assert_error(httpx.get(keyed_server.url + "/v1/schema"), 401, "unauthorized")
    assert post(keyed_server, "/v1/check", note, headers={"X-API-Key": KEY}).status_code == 200
    assert post(keyed_server, "/v1/check", note, headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
    # the page, health and the API description stay open: the page sends the key the coder types in
    for path in ("/", "/healthz", "/readyz", "/openapi.json", "/docs"):
        assert httpx.get(keyed_server.url + path).status_code == 200, path


def test_413_over_max_bytes(keyed_server: Server) -> None:
    keyed_server.wait_ready()
    headers = {"X-API-Key": KEY}
    big = "Sacral cement was injected. " * 200  # 5,600 bytes > --max-bytes 5000
    body = assert_error(post(keyed_server, "/v1/check", content=big.encode(), content_type="text/plain",
                             headers=headers), 413, "too_large", "body")
    assert "5,000-byte limit" in body["message"]
    # a chunked body (no Content-Length) is cut off while streaming
    chunks = (big[i : i + 1000].encode() for i in range(0, len(big), 1000))
    chunked = httpx.post(keyed_server.url + "/v1/check", content=chunks,
                         headers=headers | {"Content-Type": "text/plain"}, timeout=30)
    assert_error(chunked, 413, "too_large", "body")
    assert_error(post(keyed_server, "/v1/check/batch", {"notes": [{"text": big}]}, headers=headers), 413,
                 "too_large")
    assert post(keyed_server, "/v1/check", content=big[:4000].encode(), content_type="text/plain",
                headers=headers).status_code == 200


def test_check_equals_cli_json_for_every_sample_note(server: Server) -> None:
    expected = cli("check", "--format", "json", *map(str, SAMPLES)).splitlines(keepends=True)
    assert len(expected) == len(SAMPLES)
    for path, line in zip(SAMPLES, expected):
        text = path.read_bytes().decode("utf-8")
        as_json = post(server, "/v1/check", {"note_id": path.stem, "text": text})
        assert as_json.status_code == 200 and as_json.headers["content-type"] == "application/json"
        assert as_json.text == line, path.name
        as_plain = post(server, f"/v1/check?note_id={path.stem}", content=path.read_bytes(),
                        content_type="text/plain; charset=utf-8")
        assert as_plain.text == line, path.name


def test_fhir_document_reference_is_read_as_audit_reads_it(server: Server) -> None:
    path = SAMPLES[1]
    expected = cli("check", "--format", "json", str(path))
    response = post(server, "/v1/check", fhir(path.read_bytes(), path.stem), content_type="application/fhir+json")
    assert response.status_code == 200 and response.text == expected
    latin = post(server, "/v1/check", fhir(path.read_text("utf-8").encode("latin-1", "replace"), path.stem,
                                           "text/plain; charset=ISO-8859-1"), content_type="application/fhir+json")
    assert latin.status_code == 200 and latin.json()["note_id"] == path.stem
    body = assert_error(post(server, "/v1/check", {"resourceType": "Bundle", "entry": []},
                             content_type="application/fhir+json"), 422, "invalid_note", "body")
    assert "not a DocumentReference" in body["message"]
    no_text = {"resourceType": "DocumentReference", "id": "x", "content": [{"attachment": "not an object"}]}
    body = assert_error(post(server, "/v1/check", no_text, content_type="application/fhir+json"), 422,
                        "invalid_note", "body")
    assert "no text/plain attachment" in body["message"]


def test_hl7_v2_message_is_read_as_audit_reads_it(server: Server) -> None:
    """One ORU^R01 message (the first of sample_notes/hl7/oru_r01.hl7, built from checkbox_template.txt)."""
    batch = (SAMPLES[0].parent / "hl7" / "oru_r01.hl7").read_bytes()
    first = batch[: batch.index(b"MSH", 1)]
    expected = cli("check", "--format", "json", str(SAMPLES[0].parent / "checkbox_template.txt"))
    response = post(server, "/v1/check?note_id=checkbox_template", content=first, content_type="application/hl7-v2")
    assert response.status_code == 200 and response.text == expected
    body = assert_error(post(server, "/v1/check", content=batch, content_type="application/hl7-v2"), 422,
                        "invalid_note", "body")
    assert "expected one HL7 v2 message, found 2" in body["message"]


def test_query_and_worksheet_equal_the_cli(server: Server) -> None:
    queries = cli("query", "--format", "json", *map(str, SAMPLES)).splitlines(keepends=True)
    worksheets = cli("check", "--format", "markdown", *map(str, SAMPLES))
    served = []
    for path, line in zip(SAMPLES, queries):
        note = {"note_id": path.stem, "text": path.read_text(encoding="utf-8")}
        response = post(server, "/v1/query", note)
        assert response.status_code == 200 and response.text == line, path.name
        sheet = post(server, "/v1/worksheet", note)
        assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/markdown")
        served.append(sheet.text)
    assert "".join(served) == worksheets
    assert any(json.loads(line)["queries"] for line in queries)


def test_batch_gives_one_result_per_note_in_order(server: Server) -> None:
    good = SAMPLES[0]
    notes = [{"note_id": good.stem, "text": good.read_text(encoding="utf-8")},
             {"note_id": "empty", "text": "   "},
             {"note_id": "no-text"},
             "not an object",
             {"note_id": "unilateral", "text": SAMPLES[-1].read_text(encoding="utf-8"), "profile": "0200T"},
             {"note_id": "bad-profile", "text": "sacral cement", "profile": "9999X"}]
    response = post(server, "/v1/check/batch", {"notes": notes})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["index"] for r in results] == list(range(len(notes)))
    assert results[0]["error"] is None
    assert json.dumps(results[0]["report"], separators=(",", ":")) + "\n" == cli("check", "--format", "json",
                                                                                  str(good))
    assert results[1]["error"]["field"] == "notes[1].text" and "empty note" in results[1]["error"]["message"]
    assert results[2]["error"]["field"] == "notes[2].text" and results[2]["note_id"] == "no-text"
    assert results[3]["error"]["field"] == "notes[3]"
    assert results[4]["error"] is None and results[4]["report"]["profile"] == "0200T"
    assert results[5]["error"]["field"] == "notes[5].billed_code"
    assert "not a known code" in results[5]["error"]["message"] and "9999X" not in results[5]["error"]["message"]

    assert_error(post(server, "/v1/check/batch", {"notes": [{"text": "x"}] * 101}), 422, "invalid_field", "notes")
    assert_error(post(server, "/v1/check/batch", {"notes": []}), 422, "invalid_field", "notes")
    assert_error(post(server, "/v1/check/batch", [1, 2]), 422, "invalid_field")
    assert_error(post(server, "/v1/check/batch", content=b"text", content_type="text/plain"), 415,
                 "unsupported_media_type")


def test_400_422_and_415_name_the_problem(server: Server) -> None:
    assert_error(post(server, "/v1/check", content=b'{"text": "x"', content_type="application/json"), 400,
                 "malformed_body", "body")
    assert_error(post(server, "/v1/check", {"note_id": "n"}), 422, "invalid_field", "text")
    assert_error(post(server, "/v1/check", {"text": 42}), 422, "invalid_field", "text")
    assert_error(post(server, "/v1/check", {"text": "sacral", "colour": "red"}), 422, "invalid_field", "colour")
    assert_error(post(server, "/v1/check", ["text"]), 422, "invalid_field", "body")
    body = assert_error(post(server, "/v1/check", {"text": "sacral", "profile": "0999T"}), 422, "invalid_field",
                        "billed_code")
    assert "0200T, 0201T" in body["message"]
    assert_error(post(server, "/v1/check", {"text": "  \n "}), 422, "invalid_note", "text")
    assert_error(post(server, "/v1/check", content=b"abc\x00def", content_type="text/plain"), 422, "invalid_note",
                 "body")
    assert_error(post(server, "/v1/query", content=b"<note/>", content_type="application/xml"), 415,
                 "unsupported_media_type")
    assert_error(post(server, "/v1/check", content=b"x", content_type="text/plain; charset=latin-1"), 415,
                 "unsupported_media_type")
    no_type = httpx.post(server.url + "/v1/check", content=b"x", headers={"Content-Type": ""})
    assert_error(no_type, 415, "unsupported_media_type")
    assert_error(httpx.get(server.url + "/v1/nothing"), 404, "not_found")
    assert_error(httpx.get(server.url + "/v1/check"), 405, "method_not_allowed")


def test_invalid_utf8_is_repaired_and_said_in_a_header(server: Server) -> None:
    response = post(server, "/v1/check?note_id=bad-bytes", content=b"Sacral cement \xff injected.",
                    content_type="text/plain")
    assert response.status_code == 200 and response.json()["note_id"] == "bad-bytes"
    assert "invalid UTF-8 at byte 14" in response.headers["notecheck-warning"]


def test_schema_docs_health_and_page(server: Server) -> None:
    assert httpx.get(server.url + "/v1/schema").text == cli("schema")
    assert httpx.get(server.url + "/healthz").json() == {"status": "alive"}
    openapi = httpx.get(server.url + "/openapi.json").json()
    assert {"/v1/check", "/v1/check/batch", "/v1/query", "/v1/worksheet", "/v1/schema"} <= set(openapi["paths"])
    assert set(openapi["paths"]["/v1/check"]["post"]["requestBody"]["content"]) == {
        "application/json", "text/plain", "application/fhir+json", "application/hl7-v2"}
    docs = httpx.get(server.url + "/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text
    assert "cdn." not in docs.text and "https://" not in docs.text, "the API page must not load from a CDN"
    page = httpx.get(server.url + "/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "connect-src 'self'" in page.headers["content-security-policy"]
    assert "http://" not in page.text and "https://" not in page.text
    assert ".innerHTML" not in page.text and "insertAdjacentHTML" not in page.text


def test_logs_carry_no_note_text(server: Server) -> None:
    """Runs after the tests above: the server's log has one line per request and not a word of any note."""
    post(server, "/v1/check", {"note_id": "log-check", "text": SAMPLES[0].read_text(encoding="utf-8")},
         headers={"X-Request-ID": "req-log-1"})
    deadline = time.monotonic() + 10  # the line is written once the response has gone out
    while "rid=req-log-1" not in (log := server.log.read_text(encoding="utf-8")) and time.monotonic() < deadline:
        time.sleep(0.05)
    line = next(line for line in log.splitlines() if "rid=req-log-1" in line)
    assert 'POST /v1/check status=200 bytes=' in line and 'note_id="log-check"' in line and " ms=" in line
    for path in SAMPLES:
        for sentence in path.read_text(encoding="utf-8").splitlines():
            if len(sentence.strip()) > 25:
                assert sentence.strip() not in log, f"{path.name}: note text in the server log"
    assert "Traceback" not in log
