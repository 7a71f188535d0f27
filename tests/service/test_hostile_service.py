"""The hostile corpus against the real `notecheck serve` (the session's server): a 4xx for a bad single note, a
per-note error in a batch, never a 500 for bad input; /healthz answering while a long note is checked; a body
that never arrives answered 408; a client that leaves mid-body logged 499; no planted identifier in any response
or in the server's log. Latency is a benchmark figure (benchmarks/hardening.py), not asserted here."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time

from hostile.hostile_corpus import GOOD, MRN, NAME, PATIENT_LINE, PLANTED, TEXT, WORD, message
from serve_support import Server, require_serve

require_serve()
import httpx  # noqa: E402  (after the skip: the [serve] extra brings it)

HL7 = "application/hl7-v2"
BAD_HL7 = {
    "obx-1 superscript": message("s1", set_id="\u2077"),
    "pv1 count": message("s2").replace("PID|", "PV1|1|I|W\\.inQ\\1\rPID|", 1),
    "txa-12 bomb": message("s3", txa=f"TXA|1|OP|TX|20261201||||||||{NAME}\\.sp9000000\\"),
    "obx-5 bomb": message("s4", obx=f"{TEXT} \\.ti40000000\\ {WORD}"),
    "msh-1": message("s5", msh=f"MSH%^~\\&|EHR|H|NC|H|20261201||MDM^T02|{MRN}|P|2.5\r"),
    "escape quoting a patient": message("s6", obx=f"{TEXT} \\{PATIENT_LINE}\\"),
}


def _post(server: Server, body: bytes, content_type: str, path: str = "/v1/check") -> httpx.Response:
    return httpx.post(server.url + path, content=body, headers={"Content-Type": content_type}, timeout=120)


def _fhir(data: bytes, content_type: str) -> bytes:
    attachment = {"contentType": content_type, "data": base64.b64encode(data).decode()}
    return json.dumps({"resourceType": "DocumentReference", "id": "f", "content": [{"attachment": attachment}]}).encode()


def test_bad_single_notes_are_4xx_and_name_no_patient(server: Server) -> None:
    answers = [_post(server, body.encode(), HL7) for body in BAD_HL7.values()]
    answers += [_post(server, _fhir(f"{WORD} \\ud800".encode(), "text/plain; charset=unicode_escape"),
                      "application/fhir+json"),
                _post(server, _fhir(("x" * 9000 + "-" + "y" * 9000).encode(), "text/plain; charset=punycode"),
                      "application/fhir+json")]
    for name, answer in zip([*BAD_HL7, "fhir unicode_escape", "fhir punycode"], answers):
        assert answer.status_code == 422, (name, answer.text)
        assert answer.json()["error"] == "invalid_note" and not any(v in answer.text for v in PLANTED), name
    good = _post(server, message("s-good").encode(), HL7)
    assert good.status_code == 200 and good.json()["note_id"] == "s-good"
    lone = httpx.post(server.url + "/v1/check", content=b'{"note_id": "\\udfff\\ud800", "text": "sacral cement"}',
                      headers={"Content-Type": "application/json"}, timeout=60)
    assert lone.status_code == 200 and lone.json()["note_id"] == "\ufffd\ufffd"  # was a 500


def test_a_batch_gives_bad_notes_their_own_errors(server: Server) -> None:
    notes = [{"note_id": "b-good", "text": GOOD}, {"note_id": "\ud800", "text": GOOD},
             {"note_id": "b-deep", "text": [[[[]]]]}, {"note_id": "b-binary", "text": f"{PATIENT_LINE}\u0000"},
             {"note_id": "b-good-2", "text": GOOD}]
    answer = _post(server, json.dumps({"notes": notes}).encode(), "application/json", "/v1/check/batch")
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["note_id"] for r in results] == ["b-good", "\ufffd", "b-deep", "b-binary", "b-good-2"]
    assert [r["error"] is None for r in results] == [True, True, False, False, True]
    assert results[0]["report"] == results[4]["report"] | {"note_id": "b-good"}
    assert not any(v in answer.text for v in PLANTED)


def test_a_note_that_grows_in_normalisation_is_checked(server: Server) -> None:
    """999,999 bytes whose key=value fields grow it past 1,000,000 characters: spaCy's limit failed it (500)."""
    text = GOOD + "\nvol_l=3 vol_r=3 needle=11g\n"
    answer = _post(server, (text + " " * (999_999 - len(text.encode()))).encode(), "text/plain")
    assert answer.status_code == 200 and answer.json()["suggested_code"] == "0201T", answer.text


def test_healthz_answers_while_a_long_note_is_checked(server: Server) -> None:
    """A check runs in its own process: /healthz answers while it runs (it waited for the check before)."""
    done = threading.Event()
    status: list[int] = []

    def long_check() -> None:
        status.append(_post(server, ("sacral cement " * 25_000).encode(), "text/plain").status_code)
        done.set()

    thread = threading.Thread(target=long_check)
    thread.start()
    time.sleep(0.5)
    answered_during = 0
    while not done.is_set():
        assert httpx.get(server.url + "/healthz", timeout=30).json() == {"status": "alive"}
        answered_during += not done.is_set()
        time.sleep(0.1)
    thread.join()
    assert status == [200] and answered_during >= 3, (status, answered_during)


def _raw(server: Server, head: bytes) -> socket.socket:
    host, port = server.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    sock.sendall(head)
    return sock


def test_slow_bodies_are_408_and_a_client_gone_is_no_error(server: Server) -> None:
    head = (b"POST /v1/check HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n"
            b"X-Request-ID: slow-body-probe\r\n\r\nsacral")
    answer = b""
    with _raw(server, head) as sock:
        while b"}" not in answer and (chunk := sock.recv(4096)):  # the server's --body-timeout is 3 s
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 408") and b'"body_timeout"' in answer, answer
    with _raw(server, head.replace(b"slow-body-probe", b"gone-client-probe")):
        pass  # closed with 94 bytes still to send
    time.sleep(1)
    log = server.log.read_text()
    gone = [line for line in log.splitlines() if "gone-client-probe" in line]
    assert gone and "status=499" in gone[-1] and "unexpected" not in log
    host = httpx.get(server.url + "/healthz", headers={"Host": "attacker.example"}, timeout=30)
    assert host.status_code == 400  # bound to loopback: no DNS rebinding to this service


def test_the_log_names_no_patient(server: Server) -> None:
    log = server.log.read_text()
    assert "rid=" in log and not any(value in log for value in PLANTED)
