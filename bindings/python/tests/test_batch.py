"""Batch sessions through the binding: one operation per call, the core
does the rest (its own tests cover the protocol in depth)."""
from __future__ import annotations

import uuid

import pytest

import ksefkit


def invoices(sim, n):
    """n unique FA (3) invoices of the simulator's seeded seller."""
    prefix = uuid.uuid4().hex[:10]
    return [(f"FV-{i:04d}.xml", sim.sample("fa3", sellerNip=sim.nip, number=f"{prefix}-{i}")) for i in range(1, n + 1)]


def check(report, want, sim):
    assert report.ok and report.status.code == 200, report.status
    got = {d.name: d.outcome for d in report.documents}
    assert got == want
    accepted = {d.ksef_number for d in report.documents if d.outcome == "accepted"}
    assert len(accepted) == sum(1 for o in want.values() if o == "accepted")
    listed = set()
    for page in report.upo:
        assert page.verified and page.hash_checked and page.upo, page.verification_error
        assert page.upo["sessionReferenceNumber"] == report.reference_number
        listed |= {d["ksefNumber"] for d in page.upo["documents"]}
    assert listed == accepted
    assert len(report.parts) >= 3


@pytest.mark.parametrize("compression", ["Zip", "TarGz"])
def test_batch_send(authed, sim, tmp_path, compression):
    docs = invoices(sim, 100)
    docs.append(("dup-of-FV-0005.xml", docs[4][1]))
    no_currency = sim.sample("fa3", sellerNip=sim.nip, number=uuid.uuid4().hex)
    docs.append(("no-currency.xml", no_currency.replace(b"<KodWaluty>PLN</KodWaluty>", b"")))
    docs.append(("not-xml.xml", b"this is no invoice"))
    want = {name: "accepted" for name, _ in docs[:100]}
    want.update({"dup-of-FV-0005.xml": "duplicate", "no-currency.xml": "rejected", "not-xml.xml": "invalid"})
    for name, data in docs:
        (tmp_path / name).write_bytes(data)
    part = 40_000 if compression == "Zip" else 2_000
    if compression == "Zip":  # a directory
        r = authed.batch.send(tmp_path, compression=compression, part_size=part, skip_invalid=True)
    else:  # a list of paths
        r = authed.batch.send(sorted(tmp_path.iterdir()), compression=compression, part_size=part, skip_invalid=True)
    check(r, want, sim)
    dup = next(d for d in r.documents if d.name == "dup-of-FV-0005.xml")
    assert dup.ok and dup.ksef_number == next(d for d in r.documents if d.name == "FV-0005.xml").ksef_number
    bad = next(d for d in r.documents if d.name == "not-xml.xml")
    assert isinstance(bad.error, ksefkit.InputError)


def test_batch_resume_from_state_file(authed, sim, tmp_path):
    docs = invoices(sim, 30)
    state = tmp_path / "batch.json"
    sim.add_faults("PUT /storage#2=expired")
    try:
        with pytest.raises(ksefkit.ApiError) as e:
            authed.batch.send(docs, part_size=20_000, upload_concurrency=1, state_path=state)
        assert "expired" in str(e.value)
    finally:
        sim.clear_faults()
    r = authed.batch.resume(docs, state_path=state)
    assert r.successful_invoice_count == 30 and all(d.ok for d in r.documents)
    # Only the part that failed is uploaded again (the others went up before).
    assert [p.get("attempts", 0) for p in r.parts] == [0, 1] + [0] * (len(r.parts) - 2)
    saved = authed.batch.export_state(r.reference_number)
    assert "redacted" in repr(saved) and saved.raw()["key"] not in repr(saved)


def test_batch_refused_before_sending(authed):
    with pytest.raises(ksefkit.InputError) as e:
        authed.batch.send([("a.xml", b"<a/>")], part_size=100_000_001)
    assert e.value.field == "partSize"
    with pytest.raises(ksefkit.InputError) as e:
        authed.batch.send([("a.xml", b"<a/>"), ("A.XML", b"<a/>")])
    assert e.value.field == "documents[1].name"


def _inflight():
    """Operations in flight in the backend's core (an exception in progress must unwind them)."""
    if ksefkit.backend() == "wasm":
        from ksefkit import _wasm_backend
        return _wasm_backend.inflight()
    from ksefkit import _native
    return _native.lib().ksef_inflight()


def test_batch_progress_and_a_raising_callback(authed, sim, tmp_path):
    for name, data in invoices(sim, 40):
        (tmp_path / name).write_bytes(data)
    seen = []
    r = authed.batch.send(tmp_path, part_size=20_000, store=True, progress=seen.append)
    assert r.ok and r.successful_invoice_count == 40
    stages = {p["stage"] for p in seen}
    assert {"pack", "upload"} <= stages, stages
    up = [p for p in seen if p["stage"] == "upload"][-1]
    assert up["done"] == len(r.parts) and 0 < up["bytes"] == up["bytesTotal"], up

    class Stop(Exception):
        pass

    def stop(p):
        if p["stage"] == "upload":
            raise Stop

    again = invoices(sim, 40)
    with pytest.raises(Stop):
        authed.batch.send(again, part_size=20_000, store=True, progress=stop)
    assert _inflight() == 0
    with pytest.raises(ksefkit.InputError) as e:
        authed.batch.send(again, progress="yes")
    assert e.value.field == "progress"
