"""Profiles, test-certificate authentication and KSeF tokens against the simulator."""
from __future__ import annotations

import types
from pathlib import Path
from typing import Any

import pytest

import ksefkit

KSEF_VARS = ["KSEF_CONFIG", "KSEF_PROFILE", "KSEF_ENV", "KSEF_BASE_URL", "KSEF_NIP", "KSEF_TOKEN",
             "KSEF_CONTEXT_TYPE", "KSEF_KEY_PASSWORD", "KSEF_P12_PASSWORD"]


@pytest.fixture
def config(tmp_path: Path, sim: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A configuration file with a token and a test-certificate profile for the simulator."""
    for v in KSEF_VARS:
        monkeypatch.delenv(v, raising=False)
        monkeypatch.delenv(v.replace("KSEF_", "KSEF2_"), raising=False)
    path = tmp_path / "config.toml"
    path.write_text(f"""active_profile = "cert"

[profiles.tok]
environment = "test"
nip = "{sim.nip}"
[profiles.tok.auth]
type = "token"
token_env = "SIM_TOKEN"
[profiles.tok.ksefkit]
base_url = "{sim.url}"

[profiles.cert]
environment = "test"
nip = "{sim.nip}"
poll_interval = 0.1
[profiles.cert.auth]
type = "test_certificate"
[profiles.cert.ksefkit]
base_url = "{sim.url}"
""")
    return path


def test_with_profile_reads_the_token_from_the_variable_it_names(client, sim, config, monkeypatch):
    monkeypatch.setenv("KSEF_CONFIG", str(config))
    with pytest.raises(ksefkit.InputError) as e:
        client.auth.with_profile("tok")
    assert "SIM_TOKEN" in str(e.value)
    monkeypatch.setenv("SIM_TOKEN", sim.token)
    r = client.auth.with_profile("tok")
    assert r.context.value == sim.nip and r.method == "ksef-token"
    assert sim.token not in repr(r)


def test_from_profile_with_a_test_certificate(sim, config):
    with ksefkit.Client.from_profile(config=str(config), backoff=0.01) as c:  # the active profile
        info = c.auth.info()
        assert info.authenticated and info.auth is not None and info.auth.method == "xades"
        assert info.auth.context.value == sim.nip


def test_environment_over_profile_and_mismatch(sim, config, monkeypatch):
    monkeypatch.setenv("KSEF_ENV", "demo")  # the environment wins over the profile …
    with ksefkit.Client(base_url=sim.url) as c:
        with pytest.raises(ksefkit.InputError) as e:  # … so the simulator client does not match
            c.auth.with_profile("cert", config=str(config))
        assert e.value.field == "environment" and "demo" in str(e.value)


def test_test_certificate_refused_against_production():
    with ksefkit.Client(ksefkit.Environment.PROD) as c:  # refused before any request
        with pytest.raises(ksefkit.InputError) as e:
            c.auth.with_test_certificate("5265877635")
        assert "PRODUCTION" in str(e.value)


def test_tokens(client, sim):
    client.auth.with_test_certificate(sim.nip)
    g = client.tokens.generate(["InvoiceRead", "InvoiceWrite"], "python binding test")
    assert g.status == "Active" and g.wait_error is None
    assert g.token.startswith(g.reference_number + "|") and g.token not in repr(g)

    with ksefkit.Client(base_url=sim.url, poll_initial=0.01) as erp:
        assert erp.auth.with_token(token=g.token, nip=sim.nip).method == "ksef-token"
        t = client.tokens.get(g.reference_number)
        assert t.status == "Active" and t.last_use_date is not None and "InvoiceWrite" in t.requested_permissions

        for i in range(10):
            client.tokens.generate(["InvoiceRead"], f"paging {i:02d}", wait=False)
        first = client.tokens.page(page_size=10)
        assert len(first.tokens) == 10 and first.cursor
        listing = client.tokens.list(page_size=10)
        assert isinstance(listing, types.GeneratorType)
        refs = [t.reference_number for t in listing]
        assert len(refs) == len(set(refs)) > 10 and g.reference_number in refs
        assert [t.reference_number for t in client.tokens.list(description="python binding")] == [g.reference_number]

        assert client.tokens.revoke(g.reference_number) == g.reference_number
        with pytest.raises(ksefkit.AuthFailedError):  # refresh fails (21301), the token no longer authenticates
            erp.auth.refresh()
    assert client.tokens.get(g.reference_number).status == "Revoked"


def test_generate_refused_permission(authed):
    # The seeded token holds InvoiceRead and InvoiceWrite only (KSeF's 26001).
    with pytest.raises(ksefkit.ApiError) as e:
        authed.tokens.generate(["CredentialsManage"], "more than I hold")
    assert any(x.code == 26001 for x in e.value.exceptions)
