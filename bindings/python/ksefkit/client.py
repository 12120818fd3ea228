"""The client: a handle to a Go ksef.Client plus typed wrappers of the
auth.* operations. Each method builds the operation's JSON input, calls
it and wraps the result; nothing else."""
from __future__ import annotations

import enum
import math
import os
import threading
from typing import TYPE_CHECKING, Any, Callable, Literal, Optional, TypedDict, Union

if TYPE_CHECKING:  # for mypy only: the package needs nothing at run time
    from typing_extensions import Unpack

from . import _backend
from ._files import Source, b64
from ._types import AuthInfo, AuthResult, AuthSession, Revoked, SavedTokens, SessionsPage, build
from .batch import Batch
from .errors import InvalidHandleError
from .sessions import Invoices, OnlineSession, Sessions
from .tokens import Tokens

ContextArg = Union[tuple[str, str], dict[str, str]]


class Environment(str, enum.Enum):
    """The public KSeF environments."""

    TEST = "test"
    DEMO = "demo"
    PROD = "prod"


LogLevel = Literal["debug", "info", "warn", "error", "off"]


class ClientOptions(TypedDict, total=False):
    """The keywords of Client() and Client.from_profile(); None (or leaving
    one out) means the core's default. Durations are in seconds. Every value
    is checked by the core when the client is made: a bad one is an
    InputError naming the option (its configuration name, e.g.
    requestTimeoutMs)."""

    user_agent: Optional[str]  # one line of text
    max_attempts: Optional[int]  # per request, the first included
    request_timeout: Optional[float]  # one attempt
    total_timeout: Optional[float]  # one request with its retries
    max_retry_after: Optional[float]  # longest Retry-After honoured
    backoff: Optional[float]  # first wait after a 5xx or transport error
    poll_initial: Optional[float]  # status polling: first wait
    poll_max: Optional[float]  # status polling: longest wait
    poll_timeout: Optional[float]  # status polling: give up after
    refresh_leeway: Optional[float]  # renew tokens this long before they expire
    session_poll_initial: Optional[float]  # waiting for invoices/sessions: first wait
    session_poll_max: Optional[float]  # waiting for invoices/sessions: longest wait
    session_poll_timeout: Optional[float]  # waiting for processing: give up after (resumable)
    receive_poll_initial: Optional[float]  # waiting for an export's package: first wait
    receive_poll_max: Optional[float]  # waiting for an export's package: longest wait
    receive_poll_timeout: Optional[float]  # waiting for an export's package: give up after (resumable)
    temp_dir: Optional[str]  # where an export being read is spooled
    no_rate_limiter: Optional[bool]  # do not pace downloads, queries and exports by KSeF's limits
    log_level: Optional[LogLevel]  # the core's log on stderr


# ClientOptions keyword -> (configuration JSON key, seconds to milliseconds?).
_OPTIONS = {
    "user_agent": ("userAgent", False),
    "max_attempts": ("maxAttempts", False),
    "request_timeout": ("requestTimeoutMs", True),
    "total_timeout": ("totalTimeoutMs", True),
    "max_retry_after": ("maxRetryAfterMs", True),
    "backoff": ("backoffMs", True),
    "poll_initial": ("pollInitialMs", True),
    "poll_max": ("pollMaxMs", True),
    "poll_timeout": ("pollTimeoutMs", True),
    "refresh_leeway": ("refreshLeewayMs", True),
    "session_poll_initial": ("sessionPollInitialMs", True),
    "session_poll_max": ("sessionPollMaxMs", True),
    "session_poll_timeout": ("sessionPollTimeoutMs", True),
    "receive_poll_initial": ("receivePollInitialMs", True),
    "receive_poll_max": ("receivePollMaxMs", True),
    "receive_poll_timeout": ("receivePollTimeoutMs", True),
    "temp_dir": ("tempDir", False),
    "no_rate_limiter": ("noRateLimiter", False),
    "log_level": ("logLevel", False),
}


def _ms(seconds: object) -> object:
    """Seconds as the configuration's whole milliseconds. Anything that is
    not a finite number (a str, a bool) goes to the core as it is, which
    answers with an InputError naming the option: the core validates the
    configuration, not this wrapper."""
    if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) and math.isfinite(seconds):
        return round(seconds * 1000)
    return seconds


def _config_options(options: ClientOptions) -> dict[str, Any]:
    """Client() keywords (seconds) as the core's configuration JSON (ms)."""
    cfg: dict[str, Any] = {}
    for name, value in options.items():
        if name not in _OPTIONS:
            raise TypeError(f"Client() got an unexpected keyword argument {name!r}")
        if value is None:
            continue
        key, seconds = _OPTIONS[name]
        cfg[key] = _ms(value) if seconds else value
    return cfg


def _profile_input(name: Optional[str], config: Optional[str]) -> dict[str, Any]:
    """The input of the profile operations: the core resolves everything,
    against this process's environment (which the core cannot see itself)."""
    d: dict[str, Any] = {"environ": dict(os.environ)}
    if name is not None:
        d["profile"] = name
    if config is not None:
        d["config"] = os.fspath(config)
    return d


def _context(nip: Optional[str], context: Optional[ContextArg]) -> dict[str, Any]:
    d: dict[str, Any] = {}
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
    timeouts are in seconds (``request_timeout=30``). Every option is checked
    by the core when the client is made: a bad value is an InputError naming
    it (the configuration's JSON name, e.g. requestTimeoutMs). Thread-safe:
    share one client between threads.

    Options: see ClientOptions.
    """

    def __init__(self, environment: Union[Environment, str, None] = None, *, base_url: Optional[str] = None,
                 **options: Unpack[ClientOptions]) -> None:
        cfg: dict[str, Any] = {}
        if environment is not None:
            cfg["environment"] = environment.value if isinstance(environment, Environment) else environment
        if base_url is not None:
            cfg["baseUrl"] = base_url
        cfg.update(_config_options(options))
        self._setup(cfg)

    def _setup(self, cfg: dict[str, Any]) -> None:
        self._lock = threading.Lock()
        self._handle = _backend.client_new(cfg)
        self._env = cfg.get("environment") or cfg.get("baseUrl")
        self.auth = Auth(self)
        self.tokens = Tokens(self)
        self.sessions = Sessions(self)
        self.invoices = Invoices(self)
        self.batch = Batch(self)

    @classmethod
    def from_profile(cls, name: Optional[str] = None, *, config: Optional[str] = None,
                     **options: Unpack[ClientOptions]) -> Client:
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

    def call(self, op: str, data: Optional[dict[str, Any]] = None,
             progress: Optional[Callable[[dict[str, Any]], None]] = None) -> Any:
        """Run any operation on this client (see docs/ops.md); returns its
        result. progress, if given, gets the operation's progress reports."""
        return _backend.call(self.handle, op, data, progress)

    def online_session(self, form_code: Optional[str] = None) -> OnlineSession:
        """Open an online session (FA (3) unless form_code says otherwise);
        ``with client.online_session() as s: s.send(xml)`` closes it at the end."""
        return self.sessions.open(form_code)

    def close(self) -> None:
        with self._lock:
            h, self._handle = self._handle, 0
        if h:
            _backend.client_free(h)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001, S110 - __del__ must not raise (e.g. at interpreter exit)
            pass

    def __repr__(self) -> str:
        state = "closed" if not self._handle else f"handle={self._handle}"
        return f"<ksefkit.Client {self._env} {state}>"


class AuthSessions:
    """The context's authentication sessions (``client.auth.sessions``)."""

    def __init__(self, client: Client) -> None:
        self._c = client

    def list(self, page_size: Optional[int] = None, *, all: bool = False,
             continuation_token: Optional[str] = None) -> SessionsPage:
        """GET /auth/sessions: one page, or every session with all=True."""
        d: dict[str, Any] = {}
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
        self.sessions = AuthSessions(client)

    def with_token(self, token: str, *, nip: Optional[str] = None, context: Optional[ContextArg] = None,
                   authorization_policy: Optional[dict[str, Any]] = None) -> AuthResult:
        """Authenticate with a KSeF token. The tokens stay inside the client."""
        d = {"token": token, **_context(nip, context)}
        if authorization_policy:
            d["authorizationPolicy"] = authorization_policy
        return AuthResult.from_json(self._c.call("auth.token", d))

    def with_certificate(self, cert: Source, *, key: Optional[Source] = None, password: Optional[str] = None,
                         nip: Optional[str] = None, context: Optional[ContextArg] = None,
                         subject_type: Optional[str] = None, verify_certificate_chain: Optional[bool] = None,
                         authorization_policy: Optional[dict[str, Any]] = None) -> AuthResult:
        """Authenticate with a qualified certificate / seal (XAdES). cert and key
        are paths or bytes: PEM, DER or PKCS#12 (then key may be omitted)."""
        d: dict[str, Any] = {"certificate": b64(cert, "certificate"), **_context(nip, context)}
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

    def restore_tokens(self, saved: Union[SavedTokens, str, bytes, dict[str, Any]]) -> AuthResult:
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
