"""The secret-canary test of issue 10 for the Python package, on the backend
under test (make test-python runs it on both).

Every operation of the core's table (walked from ops.list, so a new one is
covered without anyone adding it) runs with canary secrets: the KSeF token
the simulator issued, key and PKCS#12 passwords, the access and refresh
tokens KSeF handed out, tokens installed with restore_tokens. No output may
contain one: not the core's log at debug (stderr, captured at the file
descriptor), not Python logging, not an error's str/repr/args/raw/traceback
(chained exceptions included), not a result's repr/str or its JSON. The one
exception is auth.tokens.export, whose purpose is to return them; the test
asserts it is the only operation whose output carries a secret.

Inputs come from each operation's documented fields, as core/ops's canary
test builds them: every field stuffed at once and each field alone, a secret
canary in every field marked secret and a token-shaped "plain" canary in
every other string — which no error raised before KSeF answered may quote
(the echo rule).
"""
from __future__ import annotations

import base64
import json
import logging
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Optional

import pytest

import ksefkit

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "core" / "certs" / "testdata"
PARITY = REPO / "core" / "ops" / "testdata" / "parity"
# Breaches of the echo rule in core packages, listed with where to fix them
# (core/ops's canary test keeps the list honest).
KNOWN_ECHOES = [k["message"] for k in json.loads((REPO / "core" / "ops" / "testdata" / "known-echoes.json").read_text())]
EXPORTS = {"auth.tokens.export", "sessions.online.export"}  # their purpose is to return secrets; run here
ALLOWED = EXPORTS | {"tokens.generate"}  # also returns one (a new KSeF token); not run with success here

KEY_PASSWORD = "ksef-Test-123"  # the fixture's encrypted key (core/certs/testdata)
P12_PASSWORD = "canary-P12-password-py-41c0"
ACCESS_CANARY = "eyJcanary-ACCESS-token-py.5e7a"
REFRESH_CANARY = "eyJcanary-REFRESH-token-py.c3d9"
STUFFED_SECRET = "canary-STUFFED-secret-py-92fe"
PLAIN_CANARY = "20251010-EC-CANARY0001-PLAIN00001-AB|nip-5265877635|plaincanary0123456789abcdef"


def stuffed(fields: list[dict[str, Any]], secret: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields:
        text = secret if f.get("secret") else PLAIN_CANARY
        t, sub = f["type"], f.get("fields") or []
        if sub and t.endswith("[]"):
            out[f["name"]] = [stuffed(sub, secret)]
        elif sub:
            out[f["name"]] = stuffed(sub, secret)
        elif t in ("string", "date-time", "any"):
            out[f["name"]] = text
        elif t == "string[]":
            out[f["name"]] = [text]
        elif t == "base64":
            out[f["name"]] = base64.b64encode(text.encode()).decode()
        elif t == "number":
            out[f["name"]] = 0
        elif t == "bool":
            out[f["name"]] = False
    return out


def stuffed_inputs(fields: list[dict[str, Any]], secret: str) -> list[dict[str, Any]]:
    out = [stuffed(fields, secret)]

    def alone(fs: list[dict[str, Any]], wrap: Any) -> None:
        for f in fs:
            out.append(wrap(stuffed([f], secret)))
            if f.get("fields") and not f["type"].endswith("[]"):
                name = f["name"]
                alone(f["fields"], lambda v, name=name, wrap=wrap: wrap({name: v}))

    alone(fields, lambda v: v)
    return out


def renderings(v: Any) -> Iterable[str]:
    """Every way a Python program shows a value or an error."""
    yield repr(v)
    yield str(v)
    yield json.dumps(v, default=repr)
    if isinstance(v, BaseException):
        yield "".join(traceback.format_exception(type(v), v, v.__traceback__))
        yield repr(v.args)
        yield repr(getattr(v, "raw", None))
        yield repr(vars(v))


class Run:
    def __init__(self, secrets: list[str]) -> None:
        self.secrets = [s for s in secrets if len(s) >= 8]
        self.called: set[str] = set()
        self.succeeded: set[str] = set()
        self.carried: set[str] = set()

    def add(self, *s: str) -> None:
        self.secrets += [x for x in s if x and len(x) >= 8]

    def leak(self, text: str) -> Optional[str]:
        return next((s for s in self.secrets if s in text), None)

    def check(self, op: str, what: Any, exported: bool = False) -> None:
        for text in renderings(what):
            s = self.leak(text)
            if s is None:
                continue
            if exported and not isinstance(what, BaseException):
                self.carried.add(op)
                continue
            pytest.fail(f"{op}: a secret ({s[:10]}…) shows in {type(what).__name__}: {text[:300]}")

    def call(self, op: str, data: Optional[dict[str, Any]], client: Optional[ksefkit.Client]) -> Any:
        self.called.add(op)
        try:
            r = ksefkit.call(op, data, client=client)
        except ksefkit.KsefError as e:
            self.check(op, e)
            if e.http_status is None and "plaincanary" in e.message and not any(k in e.message for k in KNOWN_ECHOES):
                pytest.fail(f"{op}: the error quotes an input value (the echo rule): {e.message}")
            return None
        self.succeeded.add(op)
        # Only the exports may carry a secret in their result; check() records it.
        self.check(op, r, exported=op in ALLOWED)
        return r

    def api(self, op: str, fn: Any, *args: Any, ok: bool = True, **kw: Any) -> Any:
        """A call through the typed API: its result's repr/str, or its error."""
        self.called.add(op)
        try:
            r = fn(*args, **kw)
        except ksefkit.KsefError as e:
            assert not ok, f"{op}: {e!r}"
            self.check(op, e)
            return None
        assert ok, f"{op} succeeded"
        self.succeeded.add(op)
        self.check(op, r)
        return r


def test_canary_secrets_never_leave(sim, capfd, caplog):
    caplog.set_level(logging.DEBUG)
    token_secret = sim.token.split("|")[-1]
    run = Run([sim.token, token_secret, KEY_PASSWORD, P12_PASSWORD, ACCESS_CANARY, REFRESH_CANARY, STUFFED_SECRET])
    opts: dict[str, Any] = {"base_url": sim.url, "backoff": 0.001, "poll_initial": 0.01, "poll_max": 0.05, "log_level": "debug"}

    cert_pem = (FIXTURES / "ec.crt.pem").read_text()
    enc_key = (FIXTURES / "ec.enc-aes256.pem").read_text()
    key_body = (FIXTURES / "ec.pk8.pem").read_text().splitlines()[1]
    run.add(key_body, enc_key.splitlines()[3])
    gen = ksefkit.certs.generate_test("seal", nip=sim.nip, password=P12_PASSWORD)
    run.add(base64.b64encode(gen.pkcs12).decode()[20:60], gen.key_pem.splitlines()[1])

    with ksefkit.Client(**opts) as fresh, ksefkit.Client(**opts) as authed:
        authed.auth.with_token(token=sim.token, nip=sim.nip)
        saved = authed.auth.export_tokens().raw()
        run.add(saved["accessToken"]["token"], saved["refreshToken"]["token"])

        # 1. Every operation, stuffed, on no client, a fresh and an authenticated one.
        ops = ksefkit.call("ops.list")["operations"]
        for op in ops:
            for data in stuffed_inputs(op["input"] or [], STUFFED_SECRET):
                for c in (None, fresh, authed):
                    run.call(op["name"], data, c)

    # 2. The flows, through the typed API, with a retry logged on the way.
    sim.add_faults("POST /auth/challenge#1=503")
    try:
        with ksefkit.Client(**opts) as c:
            run.api("auth.token", c.auth.with_token, token=sim.token, nip=sim.nip)
            run.api("auth.info", c.auth.info)
            run.api("auth.refresh", c.auth.refresh)
            run.api("auth.sessions.list", c.auth.sessions.list, page_size=10)
            run.api("auth.sessions.list", c.auth.sessions.list, all=True)
            exported = run.api("auth.tokens.export", c.auth.export_tokens)
            raw = exported.raw()
            run.add(raw["accessToken"]["token"], raw["refreshToken"]["token"])
            assert run.leak(exported.to_json()), "the export carries the tokens (the one exception)"
            run.carried.add("auth.tokens.export")
            run.api("auth.sessions.revoke", c.auth.sessions.revoke)
        with ksefkit.Client(**opts) as c:
            run.api("auth.xades", c.auth.with_certificate, gen.pkcs12, password=P12_PASSWORD, nip=sim.nip)
            run.api("auth.refresh", c.auth.refresh)
        with ksefkit.Client(**opts) as c:
            run.api("auth.xades", c.auth.with_certificate, cert_pem, key=enc_key, password=KEY_PASSWORD,
                    nip="5265877635")
        with ksefkit.Client(**opts) as c:
            run.api("auth.xades", c.auth.with_certificate, gen.pkcs12, password=KEY_PASSWORD, nip=sim.nip, ok=False)
            run.api("auth.token", c.auth.with_token, token=sim.token + "\udc80", nip=sim.nip, ok=False)
            run.api("auth.token", c.auth.with_token, token=sim.token, nip=sim.token, ok=False)
        with ksefkit.Client(**opts) as c:
            valid = "2099-01-01T00:00:00Z"
            restored = {"referenceNumber": "20250101-AU-CANARY0000-0000000000-00",
                        "context": {"type": "Nip", "value": sim.nip},
                        "accessToken": {"token": ACCESS_CANARY, "validUntil": valid},
                        "refreshToken": {"token": REFRESH_CANARY, "validUntil": valid}}
            run.api("auth.tokens.restore", c.auth.restore_tokens, restored)
            run.api("auth.tokens.restore", c.auth.restore_tokens, json.dumps(restored))
            run.api("auth.tokens.restore", c.auth.restore_tokens, json.dumps(restored)[:-9], ok=False)
            run.api("auth.info", c.auth.info)
            run.api("auth.sessions.list", c.auth.sessions.list, ok=False)  # KSeF does not know the canary: 401
            run.api("auth.refresh", c.auth.refresh, ok=False)
    finally:
        sim.clear_faults()
    run.api("certs.inspect", ksefkit.certs.inspect, gen.pkcs12, password=P12_PASSWORD)
    run.api("certs.inspect", ksefkit.certs.inspect, cert_pem, key=enc_key, password=KEY_PASSWORD)
    run.api("certs.inspect", ksefkit.certs.inspect, cert_pem, key=enc_key, password=P12_PASSWORD, ok=False)
    unsigned = ("<AuthTokenRequest xmlns=\"http://ksef.mf.gov.pl/auth/token/2.0\"><Challenge>"
                "20250604-CR-461EA5B000-537A6BA15D-D7</Challenge><ContextIdentifier><Nip>5265877635</Nip>"
                "</ContextIdentifier><SubjectIdentifierType>certificateSubject</SubjectIdentifierType>"
                "</AuthTokenRequest>")
    run.api("xades.sign", ksefkit.xades.sign, unsigned, cert=cert_pem, key=enc_key, password=KEY_PASSWORD)
    run.api("xades.sign", ksefkit.xades.sign, unsigned, cert=gen.pkcs12, password=P12_PASSWORD)
    run.api("certs.generate_test", ksefkit.certs.generate_test, "personal", nip=sim.nip, password=P12_PASSWORD)

    # An online session restored with a canary AES key: exported (the one
    # other output allowed to hold it), listed, sent into (KSeF never saw it).
    canary_aes = b"CANARY-py-aes-key!!-0123456789ab"
    run.add(base64.b64encode(canary_aes).decode(), canary_aes.decode(), canary_aes.hex())
    ref = "20261201-SO-CANARY0000-0000000000-01"
    state = {"referenceNumber": ref, "formCode": {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"},
             "validUntil": "2099-01-01T00:00:00Z", "context": {"type": "Nip", "value": sim.nip},
             "key": base64.b64encode(canary_aes).decode(), "iv": base64.b64encode(bytes(16)).decode()}
    with ksefkit.Client(**opts) as c:
        c.auth.with_token(token=sim.token, nip=sim.nip)
        assert run.call("sessions.online.restore", state, c) is not None
        assert run.call("sessions.online.export", {"referenceNumber": ref}, c)["key"] == state["key"]
        assert "sessions.online.export" in run.carried
        assert run.call("sessions.online.list", {}, c) is not None
        invoice = base64.b64encode(b"<Faktura xmlns=\"http://crd.gov.pl/wzor/2025/06/25/13775/\"/>").decode()
        assert run.call("sessions.online.send", {"referenceNumber": ref, "xml": invoice}, c) is None

    # 3. The parity vectors.
    for case in json.loads((PARITY / "cases.json").read_text("utf-8")):
        run.call(case["op"], case["input"], None)

    out, err = capfd.readouterr()
    logs = out + err + caplog.text
    assert run.leak(logs) is None, f"a log line holds a secret ({run.leak(logs)[:10]}…)"
    assert "ksef request retry" in err, "the core logged no retry: the log check saw nothing worth checking"
    names = {o["name"] for o in ops}
    assert names <= run.called, f"operations never run: {sorted(names - run.called)}"
    flows = {"auth.token", "auth.xades", "auth.refresh", "auth.sessions.list", "auth.sessions.revoke",
             "auth.tokens.export", "auth.tokens.restore", "certs.inspect", "certs.generate_test", "certs.source",
             "xades.sign"}
    assert flows <= run.succeeded, f"flows that never succeeded: {sorted(flows - run.succeeded)}"
    assert run.carried == EXPORTS, run.carried
