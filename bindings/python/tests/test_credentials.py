"""Certificate and key arguments (issue 10 finding 1): what a str is — the
file's contents or a path — is decided by the core, and no message ever
carries the argument's value."""
from __future__ import annotations

from pathlib import Path

import pytest

import ksefkit

REPO = Path(__file__).resolve().parents[3]
GOLDEN = REPO / "core" / "xades" / "testdata" / "golden"
CERT = (GOLDEN / "rsa2048.crt.pem").read_text("ascii")
KEY = (GOLDEN / "rsa2048.key.pem").read_text("ascii")
KEY_BODY = KEY.splitlines()[5]  # a line of the key's base64: must never be in a message


def bag(pem: str, what: str) -> str:
    """What `openssl pkcs12 -nodes` writes before each block."""
    head = "Bag Attributes\n    localKeyID: 01 00 00 00 \n    friendlyName: test\n"
    head += "Key Attributes: <No Attributes>\n" if what == "key" else "subject=CN = Jan Kowalski\nissuer=CN = Jan Kowalski\n"
    return head + pem


@pytest.mark.parametrize("cert,key", [
    (bag(CERT, "cert"), bag(KEY, "key")),
    ("\ufeff" + CERT, "\ufeff" + KEY),
    (CERT.encode(), ("\ufeff" + KEY).encode("utf-8")),
    (bag(CERT, "cert") + bag(KEY, "key"), None),
], ids=["bag attributes", "BOM", "bytes with a BOM", "one -nodes file"])
def test_pem_as_other_tools_save_it_is_accepted(cert, key):
    info = ksefkit.certs.inspect(cert, key=key)
    assert info.key_loaded and info.identity["value"] == "5265877635"


def test_paths_are_read(tmp_path):
    (tmp_path / "c.pem").write_text(bag(CERT, "cert"))
    (tmp_path / "k.pem").write_bytes(b"\xef\xbb\xbf" + KEY.encode())
    assert ksefkit.certs.inspect(str(tmp_path / "c.pem"), key=tmp_path / "k.pem").key_loaded


@pytest.mark.parametrize("key", [
    KEY.replace("-----BEGIN PRIVATE KEY-----", "-----BEGIN PRIVATE KEY----"),  # damaged armour: not PEM
    "\ufeff" + KEY[:200],  # truncated: PEM without its end
    bag(KEY, "key").replace("-----BEGIN", "----BEGIN"),
    KEY_BODY + KEY_BODY,
], ids=["damaged armour", "truncated", "bag attributes, damaged", "bare base64 line"])
def test_no_message_carries_key_material(key):
    with pytest.raises(ksefkit.KsefError) as e:
        ksefkit.certs.inspect(CERT, key=key)
    err = e.value
    assert isinstance(err, (ksefkit.InputError, ksefkit.CryptoError))
    assert err.field == "key", err
    assert err.__context__ is None and err.__cause__ is None
    for text in (str(err), repr(err), repr(err.raw), repr(err.args)):
        assert KEY_BODY[:24] not in text and "PRIVATE KEY" not in text, text


def test_missing_path_names_the_argument_not_the_path(tmp_path):
    missing = tmp_path / "secret-looking-name.pem"
    for arg in (missing, str(missing)):
        with pytest.raises(ksefkit.InputError) as e:
            ksefkit.certs.inspect(CERT, key=arg)
        assert e.value.field == "key" and "secret-looking-name" not in str(e.value)
        assert e.value.__context__ is None


def test_wrong_type_is_an_input_error():
    with pytest.raises(ksefkit.InputError) as e:
        ksefkit.certs.inspect(12345)  # type: ignore[arg-type]
    assert e.value.field == "certificate"


def test_pkcs12_bytes_round_trip():
    t = ksefkit.certs.generate_test("seal", nip="5265877635", password="pw-canary-1")
    assert isinstance(t.pkcs12, bytes)
    assert ksefkit.certs.inspect(t.pkcs12, password="pw-canary-1").key_loaded
