"""Certificates (operations certs.inspect, certs.generate_test)."""
from __future__ import annotations

import base64
from typing import Any, Optional

from . import _backend
from ._files import Source, b64
from ._types import CertificateInfo, TestCertificate, build


def inspect(cert: Source, key: Optional[Source] = None, password: Optional[str] = None) -> CertificateInfo:
    """What a certificate (PEM, DER or PKCS#12) is and whether the key matches it."""
    d: dict[str, Any] = {"certificate": b64(cert, "certificate")}
    if key is not None:
        d["key"] = b64(key, "key")
    if password is not None:
        d["password"] = password
    return build(CertificateInfo, _backend.call(0, "certs.inspect", d))


def generate_test(kind: str = "personal", *, nip: Optional[str] = None, pesel: Optional[str] = None,
                  key_type: str = "ecdsa", password: Optional[str] = None, **extra: Any) -> TestCertificate:
    """A self-signed certificate the KSeF TEST environment accepts (never use elsewhere).
    extra: given_name, surname, organization, common_name, valid_days."""
    d: dict[str, Any] = {"kind": kind, "keyType": key_type}
    for k, v in (("nip", nip), ("pesel", pesel), ("password", password)):
        if v is not None:
            d[k] = v
    for k, v in extra.items():
        head, *rest = k.split("_")
        d[head + "".join(p.title() for p in rest)] = v
    r = _backend.call(0, "certs.generate_test", d)
    return TestCertificate(r.get("certificatePem", ""), r.get("keyPem", ""),
                           base64.b64decode(r.get("pkcs12", "")), build(CertificateInfo, r.get("info")))
