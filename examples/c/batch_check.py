#!/usr/bin/env python3
"""batch_check.py makes a directory of invoices for the C batch test and
checks batch_send's report (run_tests.sh runs both).

  batch_check.py make DIR SIM_URL NIP      100 invoices, a duplicate, one the
                                           XSD refuses, one that is no XML
  batch_check.py check REPORT.json         the outcomes, >= 3 parts, a verified UPO
"""
import json
import sys
import urllib.request
import uuid


def make(d, url, nip):
    prefix = uuid.uuid4().hex[:10]

    def sample(number):
        with urllib.request.urlopen(f"{url}/_sim/samples/fa3?sellerNip={nip}&number={number}", timeout=10) as r:
            return r.read()

    for i in range(1, 101):
        doc = sample(f"{prefix}-{i}")
        open(f"{d}/FV-{i:04d}.xml", "wb").write(doc)
        if i == 5:
            open(f"{d}/dup-of-FV-0005.xml", "wb").write(doc)
    open(f"{d}/no-currency.xml", "wb").write(sample(f"{prefix}-x").replace(b"<KodWaluty>PLN</KodWaluty>", b""))
    open(f"{d}/not-xml.xml", "wb").write(b"this is no invoice")


def check(path):
    env = json.load(open(path))
    r = env["result"]
    got = {d["name"]: d["outcome"] for d in r["documents"]}
    want = {f"FV-{i:04d}.xml": "accepted" for i in range(1, 101)}
    want.update({"dup-of-FV-0005.xml": "duplicate", "no-currency.xml": "rejected", "not-xml.xml": "invalid"})
    assert got == want, {k: (got.get(k), v) for k, v in want.items() if got.get(k) != v}
    assert len(r["parts"]) >= 3, r["parts"]
    accepted = {d["ksefNumber"] for d in r["documents"] if d["outcome"] == "accepted"}
    listed = set()
    for p in r["upo"]:
        assert p["verified"] and p["hashChecked"], p.get("verificationError")
        listed |= {d["ksefNumber"] for d in p["verification"]["upo"]["documents"]}
    assert listed == accepted, "the UPO does not list the accepted invoices"
    dup = next(d for d in r["documents"] if d["name"] == "dup-of-FV-0005.xml")
    assert dup["ok"] and dup["ksefNumber"] == next(d["ksefNumber"] for d in r["documents"] if d["name"] == "FV-0005.xml")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(*sys.argv[2:5])
    else:
        check(sys.argv[2])
