"""The client: a handle to a Go ksef.Client plus typed wrappers of the
auth.* operations. Each method builds the operation's JSON input, calls
it and wraps the result; nothing else."""
from __future__ import annotations

import enum
import os
import threading
from typing import Any, Dict, Optional, Tuple, Union

from . import _backend
from ._files import Source, b64
from ._types import AuthInfo, AuthResult, AuthSession, Revoked, SavedTokens, SessionsPage, build
from .errors import InvalidHandleError
from .tokens import Tokens

ContextArg = Union[Tuple[str, str], Dict[str, str]]


class Environment(str, enum.Enum):
    """The public KSeF environments."""

    TEST = "test"
    DEMO = "demo"
    PROD = "prod"


# Python keyword (seconds or plain) -> (config JSON key, factor to JSON units).
_OPTIONS = {
    "user_agent": ("userAgent", None),
    "max_attempts": ("maxAttempts", None),
    "request_timeout": ("requestTimeoutMs", 1000),
    "total_timeout": ("totalTimeoutMs", 1000),
    "max_retry_after": ("maxRetryAfterMs", 1000),
    "backoff": ("backoffMs", 1000),
    "poll_initial": ("pollInitialMs", 1000),
    "poll_max": ("pollMaxMs", 1000),
    "poll_timeout": ("pollTimeoutMs", 1000),
    "refresh_leeway": ("refreshLeewayMs", 1000),
    "log_level": ("logLevel", None),
}


def _config_options(options: Dict[str, Any]) -> Dict[str, Any]:
    """Client() keywords (seconds) as the core's configuration JSON (ms)."""
    cfg: Dict[str, Any] = {}
    for name, value in options.items():
        if name not in _OPTIONS:
            raise TypeError(f"Client() got an unexpected option {name!r}")
        if value is None:
            continue
        key, factor = _OPTIONS[name]
        cfg[key] = int(round(value * factor)) if factor else value
    return cfg


def _profile_input(name: Optional[str], config: Optional[str]) -> Dict[str, Any]:
    """The input of the profile operations: the core resolves everything,
    against this process's environment (which the core cannot see itself)."""
    d: Dict[str, Any] = {"environ": dict(os.environ)}
    if name is not None:
        d["profile"] = name
    if config is not None:
        d["config"] = os.fspath(config)
    return d


def _context(nip: Optional[str], context: Optional[ContextArg]) -> Dict[str, Any]:
    d: Dict[str, Any] = {}
    if nip is not None:
        d["nip"] = nip
    if context is not None:
        if isinstance(context, dict):
            d["context"] = dict(context)
        else:
            d["context"] = {"type": context[0], "value": context[1]}
    return d


class Client:
    """A KSeF client. Use as a context manager, or call close().

    ``Client(Environment.TEST)`` or ``Client(base_url="http://127.0.0.1:8080/v2")``;
    timeouts are in seconds (``request_timeout=30``). Thread-safe: share one
    client between threads.
    """

    def __init__(self, environment: Union[Environment, str, None] = None, *, base_url: Optional[str] = None,
                 **options: Any) -> None:
        cfg: Dict[str, Any] = {}
        if environment is not None:
            cfg["environment"] = Environment(environment).value if not isinstance(environment, Environment) \
                else environment.value
        if base_url is not None:
            cfg["baseUrl"] = base_url
        cfg.update(_config_options(options))
        self._setup(cfg)

    def _setup(self, cfg: Dict[str, Any]) -> None:
        self._lock = threading.Lock()
        self._handle = _backend.client_new(cfg)
        self._env = cfg.get("environment") or cfg.get("baseUrl")
        self.auth = Auth(self)
        self.tokens = Tokens(self)

    @classmethod
    def from_profile(cls, name: Optional[str] = None, *, config: Optional[str] = None, **options: Any) -> "Client":
        """A client for a profile's environment, authenticated as the profile says.

        name defaults to $KSEF_PROFILE, then the file's active profile; config to
        $KSEF_CONFIG, then ~/.config/ksefkit/config.toml. Environment variables
        (KSEF_ENV, KSEF_NIP, KSEF_TOKEN, …) override the profile. options are
        Client() keywords and override it too."""
        r = _backend.call(0, "profile.resolve", _profile_input(name, config))
        c = cls.__new__(cls)
        c._setup({**r["client"], **_config_options(options)})
        try:
            c.auth.with_profile(name, config=config)
        except BaseException:
            c.close()
            raise
        return c

    @property
    def handle(self) -> int:
        """The C handle (raises once the client is closed)."""
        h = self._handle
        if not h:
            raise InvalidHandleError("handle.invalid", "the client is closed")
        return h

    def call(self, op: str, data: Optional[Dict[str, Any]] = None) -> Any:
        """Run any operation on this client (see docs/ops.md); returns its result."""
        return _backend.call(self.handle, op, data)

    def close(self) -> None:
        with self._lock:
            h, self._handle = self._handle, 0
        if h:
            _backend.client_free(h)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def __repr__(self) -> str:
        state = "closed" if not self._handle else f"handle={self._handle}"
        return f"<ksefkit.Client {self._env} {state}>"


class Sessions:
    def __init__(self, client: Client) -> None:
        self._c = client

    def list(self, page_size: Optional[int] = None, *, all: bool = False,
             continuation_token: Optional[str] = None) -> SessionsPage:
        """GET /auth/sessions: one page, or every session with all=True."""
        d: Dict[str, Any] = {}
        if page_size is not None:
            d["pageSize"] = page_size
        if all:
            d["all"] = True
        if continuation_token:
            d["continuationToken"] = continuation_token
        r = self._c.call("auth.sessions.list", d)
        return SessionsPage(tuple(build(AuthSession, x) for x in r.get("items") or ()),
                            r.get("continuationToken") or None)

    def revoke(self, reference_number: Optional[str] = None) -> Revoked:
        """Revoke a session, or the current one (the client then forgets its tokens)."""
        d = {"referenceNumber": reference_number} if reference_number else {}
        return build(Revoked, self._c.call("auth.sessions.revoke", d))


class Auth:
    def __init__(self, client: Client) -> None:
        self._c = client
        self.sessions = Sessions(client)

    def with_token(self, token: str, *, nip: Optional[str] = None, context: Optional[ContextArg] = None,
                   authorization_policy: Optional[Dict[str, Any]] = None) -> AuthResult:
        """Authenticate with a KSeF token. The tokens stay inside the client."""
        d = {"token": token, **_context(nip, context)}
        if authorization_policy:
            d["authorizationPolicy"] = authorization_policy
        return AuthResult.from_json(self._c.call("auth.token", d))

    def with_certificate(self, cert: Source, *, key: Optional[Source] = None, password: Optional[str] = None,
                         nip: Optional[str] = None, context: Optional[ContextArg] = None,
                         subject_type: Optional[str] = None, verify_certificate_chain: Optional[bool] = None,
                         authorization_policy: Optional[Dict[str, Any]] = None) -> AuthResult:
        """Authenticate with a qualified certificate / seal (XAdES). cert and key
        are paths or bytes: PEM, DER or PKCS#12 (then key may be omitted)."""
        d: Dict[str, Any] = {"certificate": b64(cert, "certificate"), **_context(nip, context)}
        if key is not None:
            d["key"] = b64(key, "key")
        if password is not None:
            d["password"] = password
        if subject_type is not None:
            d["subjectType"] = subject_type
        if verify_certificate_chain is not None:
            d["verifyCertificateChain"] = verify_certificate_chain
        if authorization_policy:
            d["authorizationPolicy"] = authorization_policy
        return AuthResult.from_json(self._c.call("auth.xades", d))

    def with_profile(self, name: Optional[str] = None, *, config: Optional[str] = None) -> AuthResult:
        """Authenticate as a profile says (see Client.from_profile); its environment
        must be this client's, else InputError."""
        return AuthResult.from_json(self._c.call("auth.profile", _profile_input(name, config)))

    def with_test_certificate(self, nip: Optional[str] = None, *, context: Optional[ContextArg] = None) -> AuthResult:
        """Generate a self-signed test certificate for the NIP and authenticate with it
        (TEST and the simulator; refused against production)."""
        return AuthResult.from_json(self._c.call("auth.test_certificate", _context(nip, context)))

    def refresh(self) -> AuthResult:
        """A new access token now (re-authenticates if the refresh token expired)."""
        return AuthResult.from_json(self._c.call("auth.refresh"))

    def export_tokens(self) -> SavedTokens:
        """The current tokens for persisting across restarts (SECRET; see SavedTokens)."""
        return SavedTokens(self._c.call("auth.tokens.export"))

    def restore_tokens(self, saved: Union[SavedTokens, str, bytes, Dict[str, Any]]) -> AuthResult:
        """Install tokens from export_tokens() (object, its to_json() text, or the dict).
        The client refreshes them as usual but cannot re-authenticate by itself
        when the refresh token expires. Text is handed to the core as it is: a
        malformed one is an InputError, like any bad input."""
        if isinstance(saved, (str, bytes)):
            return AuthResult.from_json(_backend.call_text(self._c.handle, "auth.tokens.restore", saved, "saved"))
        raw = saved.raw() if isinstance(saved, SavedTokens) else dict(saved)
        return AuthResult.from_json(self._c.call("auth.tokens.restore", raw))

    def info(self) -> AuthInfo:
        """The current authentication, without tokens and without a network call."""
        r = self._c.call("auth.info")
        a = r.get("auth")
        return AuthInfo(bool(r.get("authenticated")), AuthResult.from_json(a) if a else None)
