"""Against the simulator: authentication, errors with attributes, threads."""
from __future__ import annotations

import threading
from pathlib import Path

import pytest

import ksefkit

REPO = Path(__file__).resolve().parents[3]


def has_op(name: str) -> bool:
    """Operations arrive in the core while these tests exist; skip until then."""
    return any(o["name"] == name for o in ksefkit.call("ops.list")["operations"])


def test_token_auth(authed, sim):
    info = authed.auth.info()
    assert info.authenticated and info.auth.context.value == sim.nip
    assert info.auth.access_token_valid_until is not None
    page = authed.auth.sessions.list(page_size=10)
    assert any(s.is_current for s in page.items)
    r = authed.auth.refresh()
    assert r.refreshed_at is not None
    assert sim.token not in repr(info) and sim.token not in repr(authed)


def test_revoke_current(authed):
    r = authed.auth.sessions.revoke()
    assert r.current
    assert not authed.auth.info().authenticated


def test_invalid_nip_sends_nothing(client, sim):
    before = sim.state()
    with pytest.raises(ksefkit.InputError):
        client.auth.with_token(token=sim.token, nip="1234567890")
    after = sim.state()
    assert after["challenges"] == before["challenges"]
    assert after["authOperations"] == before["authOperations"]


def test_unknown_token_is_auth_failed_450(client, sim):
    ref, nip_part, secret = sim.token.split("|")
    forged = "|".join([ref, nip_part, "0" * len(secret)])
    with pytest.raises(ksefkit.AuthFailedError) as e:
        client.auth.with_token(token=forged, nip=sim.nip)
    err = e.value
    assert err.code == "ksef.auth_failed" and err.status == 450
    assert err.status_description and err.reference_number
    assert forged not in str(err) and secret not in repr(err.raw)


def test_rate_limit_after_retries(sim):
    sim.add_faults("POST /auth/challenge#every=429:retry-after=1")
    try:
        with ksefkit.Client(base_url=sim.url, max_attempts=2, max_retry_after=2) as c, \
                pytest.raises(ksefkit.RateLimitError) as e:
            c.auth.with_token(token=sim.token, nip=sim.nip)
    finally:
        sim.clear_faults()
    assert e.value.http_status == 429 and e.value.retry_after == 1
    assert isinstance(e.value, ksefkit.ApiError)


def test_not_authenticated(client):
    with pytest.raises(ksefkit.NotAuthenticatedError):
        client.auth.sessions.list()


def test_four_threads_share_a_client(authed):
    errors = []

    def work():
        try:
            for i in range(20):
                if i % 2:
                    authed.auth.sessions.list()
                else:
                    assert authed.auth.info().authenticated
        except BaseException as e:  # collected, asserted below
            errors.append(e)

    ts = [threading.Thread(target=work) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert errors == []


def test_certificate_auth(client, sim):
    if not has_op("auth.xades"):
        pytest.skip("auth.xades not in ops.list yet")
    t = ksefkit.certs.generate_test("seal", nip=sim.nip, key_type="ecdsa", password="pw-1")
    r = client.auth.with_certificate(t.pkcs12, password="pw-1", nip=sim.nip)
    assert r.context.value == sim.nip
    # PEM certificate + PEM key, passed as bytes
    with ksefkit.Client(base_url=sim.url) as c2:
        c2.auth.with_certificate(t.certificate_pem.encode(), key=t.key_pem.encode(), nip=sim.nip)
        assert c2.auth.info().authenticated


def test_tokens_survive_a_restart(authed, sim):
    saved = authed.auth.export_tokens()
    text = saved.to_json()
    assert sim.token not in repr(saved) and "<redacted>" in repr(saved)
    with ksefkit.Client(base_url=sim.url) as fresh:
        with pytest.raises(ksefkit.NotAuthenticatedError):
            fresh.auth.sessions.list()
        r = fresh.auth.restore_tokens(text)
        assert r.reference_number == saved.reference_number
        assert any(s.is_current for s in fresh.auth.sessions.list().items)
        fresh.auth.refresh()
