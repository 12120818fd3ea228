"""Online sessions and invoices.send against the simulator, on both
backends: KSeF numbers, typed failures, duplicates, lost answers, restored
sessions, UPOs — everything decided in Go, checked here as a user sees it."""
from __future__ import annotations

import base64
import datetime
import json
import urllib.parse
import urllib.request
import uuid
from typing import Any

import pytest

import ksefkit


def sample(sim, name: str = "fa3", **fill: str) -> bytes:
    """An official sample invoice filled by the simulator for the seed NIP."""
    q = urllib.parse.urlencode({"sellerNip": sim.nip, "number": uuid.uuid4().hex[:12], **fill})
    with urllib.request.urlopen(f"{sim.url}/_sim/samples/{name}?{q}", timeout=10) as r:
        return r.read()


def sim_get(sim, path: str) -> Any:
    with urllib.request.urlopen(sim.url + "/_sim" + path, timeout=10) as r:
        return json.loads(r.read())


def invoices_held(sim) -> list[dict[str, Any]]:
    return [i for i in sim_get(sim, "/invoices")["invoices"] if i["sellerNip"] == sim.nip]


@pytest.fixture
def sender(sim):
    with ksefkit.Client("test", base_url=sim.url, backoff=0.01, poll_initial=0.01, poll_max=0.05,
                        session_poll_initial=0.01, session_poll_max=0.05) as c:
        c.auth.with_token(token=sim.token, nip=sim.nip)
        yield c


def test_every_sample_gets_a_ksef_number_and_a_verified_upo(sender, sim):
    req = urllib.request.Request(sim.url + "/testdata/attachment", data=json.dumps({"nip": sim.nip}).encode(),
                                 method="POST", headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10).read()
    by_form: dict[str, list[Any]] = {}
    for s in sim_get(sim, "/samples")["samples"]:
        if s["formCode"]["value"] != "PEF":
            by_form.setdefault(s["formCode"]["systemCode"], []).append((s["name"], sample(sim, s["name"])))
    assert len(by_form) >= 3
    for form, docs in by_form.items():
        rep = sender.invoices.send(docs, form_code=form)
        assert rep.ok and rep.successful_invoice_count == len(docs), (form, rep.status)
        for d in rep.documents:
            assert d.ok and d.outcome == "accepted" and d.ksef_number.startswith(sim.nip), d
            assert d.sent.verification_link.startswith(f"https://qr-test.ksef.mf.gov.pl/invoice/{sim.nip}/")
        (upo,) = rep.upo
        assert upo.verified and upo.hash_checked and upo.xml.startswith(b"<?xml")
        listed = {doc["ksefNumber"] for doc in upo.upo["documents"]}
        assert listed == {d.ksef_number for d in rep.documents}


def test_rejected_and_duplicate_among_accepted(sender, sim):
    good = sample(sim)
    bad = sample(sim).replace(b"</P_2>", b"</P_2><NieMaTakiegoPola>x</NieMaTakiegoPola>", 1)
    rep = sender.invoices.send([("good", good), ("bad", bad), ("again", good)])
    g, b, d = rep.documents
    assert g.ok and g.outcome == "accepted"
    assert not b.ok and b.outcome == "rejected" and b.result.status.code == 430 and b.result.status.details
    assert d.ok and d.outcome == "duplicate" and d.ksef_number == g.ksef_number and d.result.status.code == 440
    assert d.result.original_session_reference_number == rep.reference_number
    assert [i["ksefNumber"] for i in invoices_held(sim)].count(g.ksef_number) == 1


def test_lost_answers_give_exactly_n_invoices(sender, sim):
    before = len(invoices_held(sim))
    sim.add_faults("POST /sessions/online/{referenceNumber}/invoices#2+=drop-after:count=3")
    try:
        rep = sender.invoices.send([sample(sim) for _ in range(6)])
    finally:
        sim.clear_faults()
    numbers = {d.ksef_number for d in rep.documents if d.ok}
    assert len(numbers) == 6 and sum(d.sent.recovered for d in rep.documents) == 3
    assert len(invoices_held(sim)) == before + 6


def test_session_step_by_step_and_restored_elsewhere(sender, sim):
    with sender.sessions.open() as s:
        sent = s.send(sample(sim))
        assert sent.invoice_reference_number and sent.attempts == 1
        saved = s.export()
        text = saved.to_json()
        key = json.loads(text)["key"]
        assert key not in repr(saved) and key not in str(saved)
        s.closed = True  # handed over: this process does not close it
    with ksefkit.Client("test", base_url=sim.url, session_poll_initial=0.01) as other:
        other.auth.with_token(token=sim.token, nip=sim.nip)
        r = other.sessions.restore(text)
        r.send(sample(sim))
        result = r.close(wait=True)
    assert result is not None and result.ok and result.successful_invoice_count == 2
    assert {i.outcome for i in result.invoices} == {"accepted"} and result.upo[0].verified
    with pytest.raises(ksefkit.InputError):
        sender.sessions.restore("{not json")


def test_invalid_invoice_never_leaves(sender, sim):
    before = sim.state()
    tomorrow = (datetime.date.today() + datetime.timedelta(days=3)).isoformat()
    with pytest.raises(ksefkit.InputError) as e:
        sender.invoices.send([sample(sim), ("late", sample(sim, issueDate=tomorrow))])
    assert e.value.field == "invoices[1].invoice.P_1" and "late" in e.value.message
    assert sim.state()["onlineSessions"] == before["onlineSessions"]
    rep = sender.invoices.send([sample(sim), ("late", sample(sim, issueDate=tomorrow))], skip_invalid=True)
    assert rep.documents[0].ok and rep.documents[1].outcome == "invalid"
    assert isinstance(rep.documents[1].error, ksefkit.InputError)


def test_upo_with_a_lying_hash_and_a_tampered_upo(sender, sim):
    sim.add_faults("GET /storage=upo-hash")
    try:
        rep = sender.invoices.send([sample(sim)])
    finally:
        sim.clear_faults()
    assert rep.documents[0].ok and isinstance(rep.upo_error, ksefkit.ProtocolError)
    upo = sender.sessions.invoice_upo(rep.reference_number, ksef_number=rep.documents[0].ksef_number)
    assert upo.verified
    number = rep.documents[0].result.invoice_number.encode()
    tampered = upo.xml.replace(number, number.lower(), 1)
    with pytest.raises(ksefkit.SignatureError):
        ksefkit.call("upo.verify", {"xml": base64.b64encode(tampered).decode()})


def test_no_wait_then_wait_later(sender, sim):
    rep = sender.invoices.send([sample(sim), sample(sim)], wait=False)
    assert rep.reference_number and all(d.sent and d.outcome == "processing" for d in rep.documents)
    later = sender.sessions.wait(rep.reference_number)
    assert later.ok and later.successful_invoice_count == 2
    assert {i.invoice_reference_number for i in later.invoices} == {d.sent.invoice_reference_number for d in rep.documents}
    listed = list(sender.sessions.invoices(rep.reference_number, page_size=10))
    assert len(listed) == 2 and all(i.ok for i in listed)
