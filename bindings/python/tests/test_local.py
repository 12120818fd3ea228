"""What needs no network: loading, errors, handles, input checks, fork."""
from __future__ import annotations

import os
import platform
from pathlib import Path

import pytest

import ksefkit

REPO = Path(__file__).resolve().parents[3]
WASM = ksefkit.backend() == "wasm"


def has_op(name: str) -> bool:
    """Operations arrive in the core while these tests exist; skip until then."""
    return any(o["name"] == name for o in ksefkit.call("ops.list")["operations"])


def test_imports_the_installed_package():
    venv = os.environ.get("KSEFKIT_VENV")
    if not venv:
        pytest.skip("not run by make test-python")
    assert ksefkit.__file__.startswith(venv), ksefkit.__file__
    assert ksefkit.library_path().startswith(venv)
    assert not os.environ.get("KSEFKIT_LIB")
    from ksefkit import _wasm_backend
    assert _wasm_backend.wasm_path().startswith(venv)  # the wheel bundles ksef.wasm
    assert os.path.exists(_wasm_backend.wasm_path())
    assert not os.environ.get("KSEFKIT_WASM")


def test_version():
    v = ksefkit.version()
    assert v.version == ksefkit.__version__ == str(v)
    assert v.platform == ("wasip1/wasm" if WASM else "linux/" + {"x86_64": "amd64", "aarch64": "arm64"}[platform.machine()])


def test_unknown_operation():
    with pytest.raises(ksefkit.UnknownOperationError) as e:
        ksefkit.call("no.such.op", {})
    assert e.value.code == "op.unknown" and e.value.field == "op"
    assert "no.such.op" not in e.value.message  # the echo rule: described by its shape, not quoted


def test_bad_input_json_shape():
    with pytest.raises(ksefkit.InputError):
        ksefkit.call("version", {"unexpected": 1})


def test_invalid_handles():
    from ksefkit import _backend
    with pytest.raises(ksefkit.InvalidHandleError):
        _backend.call(987654321, "auth.info")
    with pytest.raises(ksefkit.InvalidHandleError):
        ksefkit.call("auth.info")  # needs a client
    c = ksefkit.Client(ksefkit.Environment.TEST)
    c.close()
    c.close()  # idempotent
    assert "closed" in repr(c)
    with pytest.raises(ksefkit.InvalidHandleError):
        c.auth.info()


def test_bad_config():
    with pytest.raises(ksefkit.InputError):
        ksefkit.Client()  # neither environment nor base_url
    with pytest.raises(TypeError):
        ksefkit.Client("test", colour="red")


REFUSED = "http://127.0.0.1:9/v2"  # nothing listens: any request would be a TransportError


def test_invalid_nip_fails_before_network():
    with ksefkit.Client(base_url=REFUSED) as c, pytest.raises(ksefkit.InputError) as e:
        c.auth.with_token(token="secret-token-value", nip="1234567890")
    assert "secret-token-value" not in str(e.value) and "secret-token-value" not in repr(e.value)


def test_missing_file_fails_before_network(tmp_path):
    with ksefkit.Client(base_url=REFUSED) as c, pytest.raises(ksefkit.InputError) as e:
        c.auth.with_certificate(tmp_path / "nope.p12", password="pw", nip="5265877635")
    assert e.value.field == "certificate"


def test_wrong_password_fails_before_network():
    t = ksefkit.certs.generate_test("seal", nip="5265877635", password="right-pw")
    with pytest.raises(ksefkit.CryptoError) as e:
        ksefkit.certs.inspect(t.pkcs12, password="wrong-pw")
    assert "wrong-pw" not in str(e.value)
    if has_op("auth.xades"):
        with ksefkit.Client(base_url=REFUSED) as c, pytest.raises(ksefkit.CryptoError):
            c.auth.with_certificate(t.pkcs12, password="wrong-pw", nip="5265877635")


def test_secrets_not_in_repr():
    t = ksefkit.certs.generate_test("personal", nip="5265877635", key_type="ecdsa", password="pw")
    r = repr(t)
    assert "PRIVATE KEY" not in r and t.key_pem.startswith("-----BEGIN")
    info = ksefkit.certs.inspect(t.certificate_pem, key=t.key_pem)
    assert info.key_loaded and info.identity["value"] == "5265877635"


@pytest.mark.skipif(WASM, reason="native only: the Go runtime in libksef.so does not survive fork "
                                  "(the wasm backend does: test_backend.py::test_wasm_survives_fork)")
def test_fork_child_gets_clear_error():
    ksefkit.version()  # make sure the library is loaded in the parent
    pid = os.fork()
    if pid == 0:  # child: must never call into Go; report through the exit code
        code = 3
        try:
            ksefkit.version()
            code = 1
        except ksefkit.ForkError as e:
            code = 0 if "spawn" in str(e) else 2
        except BaseException:
            code = 4
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0, status
    assert ksefkit.version()  # the parent is unaffected


GOLDEN = REPO / "core" / "xades" / "testdata" / "golden"


def test_golden_xades_rsa_byte_for_byte():
    if not has_op("xades.sign"):
        pytest.skip("xades.sign not in ops.list yet")
    import json
    m = json.loads((GOLDEN / "manifest.json").read_text())
    v = next(x for x in m["vectors"] if x["exact"])
    want = (GOLDEN / v["output"]).read_bytes()
    # The unsigned document is the golden one without its (enveloped, last)
    # Signature element: no reindenting happens when signing.
    text = want.decode("utf-8")
    start = text.index("<ds:Signature ")
    end = text.rindex("</ds:Signature>") + len("</ds:Signature>")
    unsigned = text[:start] + text[end:]
    got = ksefkit.xades.sign(unsigned, cert=GOLDEN / v["certificate"], key=GOLDEN / v["key"],
                             signing_time=m["signingTime"], signature_id=m["signatureId"],
                             signed_properties_id=m["signedPropertiesId"], reference_id=m["referenceId"])
    assert got.xml.encode("utf-8") == want
    assert ksefkit.xades.verify(got.xml)["valid"] is True
    ksefkit.xades.verify(got.xml, strict=True)  # raises when invalid


def test_verify_reports_tampering():
    cert = ksefkit.certs.generate_test("personal", nip="5265877635")
    signed = ksefkit.xades.sign('<a xmlns="urn:x"><b>1</b></a>', cert=cert.certificate_pem.encode(),
                                key=cert.key_pem.encode()).xml
    tampered = signed.replace("<b>1</b>", "<b>2</b>")
    report = ksefkit.xades.verify(tampered)
    assert report["valid"] is False
    assert any(f["code"] == "document_digest_mismatch" for f in report["findings"])
    with pytest.raises(ksefkit.SignatureError) as ei:
        ksefkit.xades.verify(tampered, strict=True)
    assert "document_digest_mismatch" in ei.value.findings


def test_external_signer(tmp_path):
    """xades.prepare/complete with the key "on a card": here openssl signs the digest."""
    import shutil
    import subprocess
    if not shutil.which("openssl"):
        pytest.skip("openssl not installed")
    cert = ksefkit.certs.generate_test("personal", nip="5265877635", key_type="rsa")
    key = tmp_path / "key.pem"
    key.write_text(cert.key_pem)
    pending = ksefkit.xades.prepare('<a xmlns="urn:x"><b>1</b></a>', cert=cert.certificate_pem.encode())
    assert pending.hash == "SHA-256" and len(pending.digest) == 32 and pending.key_type == "RSA"
    assert pending.state not in repr(pending)
    sig = subprocess.run(["openssl", "pkeyutl", "-sign", "-inkey", str(key), "-pkeyopt", "digest:sha256"],
                         input=pending.digest, capture_output=True, check=True).stdout
    signed = ksefkit.xades.complete(pending.state, sig)
    assert ksefkit.xades.verify(signed.xml)["valid"] is True
    with pytest.raises(ksefkit.CryptoError):
        ksefkit.xades.complete(pending.state, sig[:-1] + bytes([sig[-1] ^ 1]))
