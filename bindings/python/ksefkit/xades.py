"""XAdES signatures (operations xades.sign, xades.verify)."""
from __future__ import annotations

from typing import Any, Dict, Optional, Union

from . import _native
from ._files import Source, b64
from ._types import SignedXml, build


def _text(xml: Union[str, bytes]) -> str:
    return xml.decode("utf-8") if isinstance(xml, (bytes, bytearray)) else xml


def sign(xml: Union[str, bytes], *, cert: Source, key: Optional[Source] = None, password: Optional[str] = None,
         signing_time: Optional[str] = None, signature_id: Optional[str] = None,
         signed_properties_id: Optional[str] = None, reference_id: Optional[str] = None) -> SignedXml:
    """Sign a document (enveloped XAdES-BES); the result's xml is what to post, byte for byte."""
    d: Dict[str, Any] = {"xml": _text(xml), "certificate": b64(cert, "certificate")}
    for k, v in (("key", b64(key, "key")), ("password", password), ("signingTime", signing_time),
                 ("signatureId", signature_id), ("signedPropertiesId", signed_properties_id),
                 ("referenceId", reference_id)):
        if v is not None:
            d[k] = v
    return build(SignedXml, _native.call(0, "xades.sign", d))


def verify(xml: Union[str, bytes]) -> Dict[str, Any]:
    """Verify a signed document; raises SignatureError when it does not verify."""
    return _native.call(0, "xades.verify", {"xml": _text(xml)})
