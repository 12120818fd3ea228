"""KSeF tokens of the authenticated context (operations tokens.*)."""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Optional

from ._types import GeneratedToken, KsefToken, TokensPage

if TYPE_CHECKING:
    from .client import Client


def _filters(statuses: Optional[Sequence[str]], description: Optional[str], author_identifier: Optional[str],
             author_identifier_type: Optional[str], page_size: Optional[int]) -> dict[str, Any]:
    d: dict[str, Any] = {}
    if statuses:
        d["statuses"] = list(statuses)
    for k, v in (("description", description), ("authorIdentifier", author_identifier),
                 ("authorIdentifierType", author_identifier_type), ("pageSize", page_size)):
        if v is not None:
            d[k] = v
    return d


class Tokens:
    def __init__(self, client: Client) -> None:
        self._c = client

    def generate(self, permissions: Sequence[str], description: str, *, wait: bool = True) -> GeneratedToken:
        """POST /tokens. The result carries the token (SECRET, shown by KSeF once);
        with wait, a wait that fails is in .wait_error — the token is still valid output."""
        d: dict[str, Any] = {"permissions": list(permissions), "description": description}
        if wait:
            d["wait"] = True
        return GeneratedToken(self._c.call("tokens.generate", d))

    def get(self, reference_number: str, *, wait: bool = False) -> KsefToken:
        """GET /tokens/{ref}; with wait, until it leaves Pending (Active, else an error)."""
        d: dict[str, Any] = {"referenceNumber": reference_number}
        if wait:
            d["wait"] = True
        return KsefToken.from_json(self._c.call("tokens.get", d))

    def page(self, *, statuses: Optional[Sequence[str]] = None, description: Optional[str] = None,
             author_identifier: Optional[str] = None, author_identifier_type: Optional[str] = None,
             page_size: Optional[int] = None, cursor: Optional[str] = None) -> TokensPage:
        """One page of GET /tokens; pass page.cursor back (with the same filters) for the next."""
        d = _filters(statuses, description, author_identifier, author_identifier_type, page_size)
        if cursor:
            d["cursor"] = cursor
        r = self._c.call("tokens.list", d)
        return TokensPage(tuple(KsefToken.from_json(x) for x in r.get("tokens") or ()), r.get("cursor") or None)

    def list(self, *, statuses: Optional[Sequence[str]] = None, description: Optional[str] = None,
             author_identifier: Optional[str] = None, author_identifier_type: Optional[str] = None,
             page_size: Optional[int] = None) -> Iterator[KsefToken]:
        """Every matching token, newest first; pages are fetched as the loop advances."""
        cursor: Optional[str] = None
        while True:
            p = self.page(statuses=statuses, description=description, author_identifier=author_identifier,
                          author_identifier_type=author_identifier_type, page_size=page_size, cursor=cursor)
            yield from p.tokens
            if not p.cursor:
                return
            cursor = p.cursor

    def revoke(self, reference_number: str) -> str:
        """DELETE /tokens/{ref}; returns the reference number revoked."""
        r: dict[str, Any] = self._c.call("tokens.revoke", {"referenceNumber": reference_number})
        return str(r.get("revoked", ""))


__all__: list[str] = ["Tokens"]
