"""XAdES signatures (operations xades.sign, xades.verify, xades.prepare, xades.complete)."""
from __future__ import annotations

import base64
from typing import Any, Optional, Union

from . import _backend
from ._files import Source, b64
from ._types import PendingSignature, SignedXml, build


def _text(xml: Union[str, bytes]) -> str:
    return xml.decode("utf-8") if isinstance(xml, (bytes, bytearray)) else xml


def _layout(d: dict[str, Any], signing_time: Optional[str], signature_id: Optional[str],
            signed_properties_id: Optional[str], reference_id: Optional[str]) -> dict[str, Any]:
    for k, v in (("signingTime", signing_time), ("signatureId", signature_id),
                 ("signedPropertiesId", signed_properties_id), ("referenceId", reference_id)):
        if v is not None:
            d[k] = v
    return d


def sign(xml: Union[str, bytes], *, cert: Source, key: Optional[Source] = None, password: Optional[str] = None,
         signing_time: Optional[str] = None, signature_id: Optional[str] = None,
         signed_properties_id: Optional[str] = None, reference_id: Optional[str] = None) -> SignedXml:
    """Sign a document (enveloped XAdES-BES); the result's xml is what to post, byte for byte."""
    d: dict[str, Any] = {"xml": _text(xml), "certificate": b64(cert, "certificate")}
    for k, v in (("key", b64(key, "key")), ("password", password)):
        if v is not None:
            d[k] = v
    _layout(d, signing_time, signature_id, signed_properties_id, reference_id)
    return build(SignedXml, _backend.call(0, "xades.sign", d))


def verify(xml: Union[str, bytes], *, strict: bool = False) -> dict[str, Any]:
    """Verify a signed document and return the report ({"valid", "findings", …}).

    With strict=True an invalid signature raises SignatureError (its
    ``findings`` name the causes) instead of returning a report."""
    report: dict[str, Any] = _backend.call(0, "xades.verify", {"xml": _text(xml), "strict": strict})
    return report


def prepare(xml: Union[str, bytes], *, cert: Source, signing_time: Optional[str] = None,
            signature_id: Optional[str] = None, signed_properties_id: Optional[str] = None,
            reference_id: Optional[str] = None) -> PendingSignature:
    """Lay out a signature for a key held elsewhere (smart card, HSM).

    Sign ``result.digest`` (already hashed with ``result.hash``) outside, then
    call complete(result.state, signature_value)."""
    d = _layout({"xml": _text(xml), "certificate": b64(cert, "certificate")},
                signing_time, signature_id, signed_properties_id, reference_id)
    r = _backend.call(0, "xades.prepare", d)
    return PendingSignature(base64.b64decode(r["digest"]), r["hash"], r["signatureMethod"], r["keyType"], r["state"])


def complete(state: str, signature_value: bytes) -> SignedXml:
    """Insert an externally made signature value (verified first) and return the signed document."""
    sig = base64.b64encode(bytes(signature_value)).decode("ascii")
    return build(SignedXml, _backend.call(0, "xades.complete", {"state": state, "signatureValue": sig}))
