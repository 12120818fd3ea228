"""Invoices out of KSeF against a simulator with low limits: a sent invoice
downloaded byte for byte, the metadata query across pages and past the
truncation limit (each record once), a multi-part export decrypted and
read, a tampered part as a typed error, and the sync iterator."""
from __future__ import annotations

import json
import os
import random
import subprocess
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import ksefkit

REPO = Path(__file__).resolve().parents[3]


class Sim:
    """A ksef-sim of this module (with the receiving limits set low) and its
    /v2/_sim control endpoints."""

    def __init__(self, proc: subprocess.Popen, url: str) -> None:
        self.proc, self.url = proc, url

    def _req(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        r = urllib.request.Request(self.url + "/_sim" + path, data=data, method=method,
                                   headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(r, timeout=30) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def add_faults(self, *specs: str) -> None:
        self._req("POST", "/faults", {"faults": list(specs)})

    def clear_faults(self) -> None:
        self._req("DELETE", "/faults")


def random_nip() -> str:
    weights = (6, 5, 7, 2, 3, 4, 5, 6, 7)
    while True:
        digits = [random.randint(1, 9)] + [random.randint(0, 9) for _ in range(8)]
        check = sum(d * w for d, w in zip(digits, weights)) % 11
        # KSeF's NIP pattern also refuses 0 as both the second and third digit.
        if check != 10 and (digits[1] or digits[2]):
            return "".join(map(str, digits)) + str(check)


@pytest.fixture(scope="module")
def rsim() -> Iterator[Sim]:
    exe = os.environ.get("KSEF_SIM") or str(REPO / "build" / "bin" / "ksef-sim")
    if not os.path.exists(exe):
        pytest.skip(f"simulator not built: {exe}")
    p = subprocess.Popen([exe, "--addr", "127.0.0.1:0", "--log-level", "warn", "--query-limit", "25",
                          "--export-part-size", "64000", "--export-delay", "20ms", "--processing-delay", "20ms",
                          "--storage-delay", "100ms", "--hwm-lag", "50ms"], stdout=subprocess.PIPE, text=True)
    try:
        first = p.stdout.readline().strip()  # type: ignore[union-attr]
        yield Sim(p, first.rsplit(" ", 1)[-1])
    finally:
        p.terminate()
        p.wait(10)


def party(sim: Sim) -> tuple[ksefkit.Client, str]:
    """A client authenticated as the owner of a fresh NIP."""
    nip = random_nip()
    tok = sim._req("POST", "/tokens", {"contextIdentifier": {"type": "Nip", "value": nip}})["token"]
    c = ksefkit.Client(base_url=sim.url, backoff=0.01, poll_initial=0.01, poll_max=0.05, session_poll_initial=0.01,
                       session_poll_max=0.05, receive_poll_initial=0.01, receive_poll_max=0.05, no_rate_limiter=True)
    c.auth.with_token(token=tok, nip=nip)
    return c, nip


def seed(sim: Sim, seller: str, buyer: str, count: int, **kw: Any) -> list[str]:
    return sim._req("POST", "/invoices", {"sellerNip": seller, "buyerNip": buyer, "count": count, **kw})["ksefNumbers"]


def stored(sim: Sim, ksef_number: str) -> bytes:
    """The document as the simulator stores it."""
    with urllib.request.urlopen(f"{sim.url}/_sim/invoices/{ksef_number}", timeout=30) as r:
        return r.read()


def since(hours: float = 48) -> datetime:
    return datetime.now(timezone.utc) - timedelta(hours=hours)


def filters(start: datetime) -> dict[str, Any]:
    return {"subjectType": "Subject2", "dateRange": {"dateType": "PermanentStorage", "from": start,
                                                     "restrictToPermanentStorageHwmDate": True}}


@pytest.fixture(scope="module")
def world(rsim: Sim) -> Iterator[dict[str, Any]]:
    """A seller, a buyer, and 97 invoices between them stored over the last
    day, three at each instant (so narrowing cuts through equal dates)."""
    seller, seller_nip = party(rsim)
    buyer, buyer_nip = party(rsim)
    start = since(30)
    numbers = seed(rsim, seller_nip, buyer_nip, 97, storedFrom=(start + timedelta(minutes=1)).isoformat(),
                   spacing="10m", perInstant=3, size=5000)
    try:
        yield {"seller": seller, "seller_nip": seller_nip, "buyer": buyer, "buyer_nip": buyer_nip,
               "start": start, "numbers": numbers}
    finally:
        seller.close()
        buyer.close()


def test_download_sent_invoice_byte_identical(rsim):
    seller, seller_nip = party(rsim)
    buyer, buyer_nip = party(rsim)
    with seller, buyer:
        xml = urllib.request.urlopen(f"{rsim.url}/_sim/samples/fa3?sellerNip={seller_nip}"
                                     f"&buyerNip={buyer_nip}&number=PY-{random.randint(0, 10**9)}").read()
        report = seller.invoices.send([xml], upo=False)
        n = report.documents[0].ksef_number
        assert n and stored(rsim, n) == xml
        got = buyer.invoices.get(n)  # 21165 until stored for good: waited out
        assert got.xml == xml and got.hash_checked and got.size == len(xml)
        with pytest.raises(ksefkit.ApiError) as e:
            party(rsim)[0].invoices.get(n)
        assert any(x.code == 21164 for x in e.value.exceptions)
        with pytest.raises(ksefkit.InputError) as bad:
            buyer.invoices.get("5265877635-20260101-0123456789AB-00")
        assert bad.value.field == "ksefNumber"


def in_order(numbers: list[str], per_instant: int = 3) -> list[str]:
    """The order KSeF's (the simulator's) sorts by: date, then KSeF number."""
    out = list(numbers)
    for i in range(0, len(out), per_instant):
        out[i:i + per_instant] = sorted(out[i:i + per_instant])
    return out


def test_query_each_record_once_across_pages_and_truncation(world):
    want = in_order(world["numbers"])
    got = [m.ksef_number for m in world["buyer"].invoices.query(filters(world["start"]), page_size=10)]
    assert got == want
    desc = [m.ksef_number for m in world["buyer"].invoices.query(filters(world["start"]), page_size=10, sort_order="Desc")]
    assert desc == list(reversed(want))
    page = world["buyer"].invoices.query_page(filters(world["start"]), page_size=10)
    assert len(page.invoices) == 10 and page.cursor and page.permanent_storage_hwm_date is not None
    m = page.invoices[0]
    assert m.seller_nip == world["seller_nip"] and m.buyer_identifier == {"type": "Nip", "value": world["buyer_nip"]}


def test_query_refused_locally(world):
    f = filters(world["start"])
    f["dateRange"] = {**f["dateRange"], "from": world["start"] - timedelta(days=120), "to": world["start"]}
    with pytest.raises(ksefkit.InputError) as e:
        world["buyer"].invoices.query_page(f)
    assert e.value.field == "filters.dateRange.to"


def test_export_multipart_decrypted_and_read(world, rsim, tmp_path):
    r = world["buyer"].invoices.export(filters(world["start"]), dir=tmp_path / "x")
    assert r.package["invoiceCount"] == 97 and len(r.package["parts"]) >= 3 and not r.is_truncated
    assert [i.metadata.ksef_number for i in r.invoices] == in_order(world["numbers"])
    for inv in r.invoices[::10]:
        assert Path(inv.path).read_bytes() == stored(rsim, inv.metadata.ksef_number)
    assert (tmp_path / "x" / "_metadata.json").exists()
    seen = []
    zipped = world["buyer"].invoices.export(filters(world["start"]), path=tmp_path / "p.zip", progress=seen.append)
    last = [p for p in seen if p["stage"] == "download"][-1]
    assert last["done"] == len(zipped.package["parts"]) and last["bytes"] == last["bytesTotal"], seen
    import zipfile
    with zipfile.ZipFile(tmp_path / "p.zip") as z:
        assert len(z.namelist()) == 98
    assert zipped.package["size"] == os.path.getsize(tmp_path / "p.zip")


def test_export_tampered_part_is_typed(world, rsim, tmp_path):
    rsim.add_faults("GET /storage#2=part-tamper")
    try:
        with pytest.raises(ksefkit.ProtocolError) as e:
            world["buyer"].invoices.export(filters(world["start"]), path=tmp_path / "t.zip")
    finally:
        rsim.clear_faults()
    assert "encryptedPartHash" in e.value.message and e.value.reference_number
    assert not (tmp_path / "t.zip").exists()


def test_sync_iterator(rsim, tmp_path):
    seller, seller_nip = party(rsim)
    buyer, buyer_nip = party(rsim)
    with seller, buyer:
        numbers = seed(rsim, seller_nip, buyer_nip, 40, storedFrom=since(20).isoformat(), spacing="20m")
        state = tmp_path / "sync.json"
        got: list[str] = []
        for i, doc in enumerate(buyer.invoices.sync(state=state, dir=tmp_path / "in", since=since(24))):
            if i == 7:
                break  # the consumer stops mid-window: that window comes again
            got.append(doc.ksef_number)
        assert not state.exists()
        for doc in buyer.invoices.sync(state=state, dir=tmp_path / "in", since=since(24)):
            assert doc.xml.startswith(b"<?xml") and doc.metadata.ksef_number == doc.ksef_number
            got.append(doc.ksef_number)
        assert sorted(set(got)) == sorted(numbers) and len(got) == 47
        assert list(buyer.invoices.sync(state=state, dir=tmp_path / "in")) == []
        kept = ksefkit.SyncState()  # a state the caller stores itself
        assert len(list(buyer.invoices.sync(state=kept, dir=tmp_path / "in2", since=since(24)))) == 40
        assert json.loads(kept.to_json())["subjects"]["Subject2"]["delivered"] == 40
