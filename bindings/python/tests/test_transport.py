"""Failures between the client and KSeF are the same typed errors on both
backends (issue 10 finding 6), and options are checked by the core when the
client is made (finding 10)."""
from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

import ksefkit


@pytest.fixture
def truncating_server() -> Iterator[str]:
    """A loopback server that promises 100 bytes and sends 5, then closes."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()
    stop = threading.Event()

    def serve() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(65536)
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 b"Content-Length: 100\r\nConnection: close\r\n\r\n{\"cha")
                except OSError:
                    pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{srv.getsockname()[1]}/v2"
    finally:
        stop.set()
        t.join(5)
        srv.close()


def test_truncated_body_is_a_transport_error(truncating_server):
    with ksefkit.Client(base_url=truncating_server, max_attempts=1) as c, pytest.raises(ksefkit.TransportError) as e:
        c.auth.with_token(token="20251010-EC-ABC|nip-5265877635|0123", nip="5265877635")
    assert e.value.retryable and e.value.code == "transport"


@pytest.mark.parametrize("ua", ["app/1.0\r\nX-Injected: yes", "line\nbreak", "nul\x00"])
def test_control_characters_in_user_agent_are_refused_at_construction(ua):
    with pytest.raises(ksefkit.InputError) as e:
        ksefkit.Client(ksefkit.Environment.TEST, user_agent=ua)
    assert e.value.field == "userAgent" and "Injected" not in str(e.value)


@pytest.mark.parametrize("kwargs,field", [
    ({"request_timeout": "thirty"}, "requestTimeoutMs"),
    ({"max_attempts": "5"}, "maxAttempts"),
    ({"backoff": True}, "backoffMs"),
    ({"poll_max": -1}, "pollMaxMs"),
    ({"log_level": "verbose"}, "logLevel"),
    ({"max_attempts": 2.5}, "maxAttempts"),
])
def test_bad_option_values_are_input_errors_from_the_core(kwargs, field):
    with pytest.raises(ksefkit.InputError) as e:
        ksefkit.Client(ksefkit.Environment.TEST, **kwargs)
    assert e.value.field == field
    assert "thirty" not in e.value.message and "verbose" not in e.value.message


def test_unknown_environment_is_an_input_error():
    with pytest.raises(ksefkit.InputError) as e:
        ksefkit.Client("staging")
    assert e.value.field == "environment"


def test_options_in_seconds_reach_the_core():
    with ksefkit.Client("test", request_timeout=1.5, poll_initial=0.25, log_level="off") as c:
        assert c.auth.info().authenticated is False


def test_options_are_typed_for_mypy(tmp_path):
    api = pytest.importorskip("mypy.api")
    snippet = tmp_path / "use.py"
    snippet.write_text('import ksefkit\nksefkit.Client("test", request_timeout="thirty")\n'
                       'ksefkit.Client("test", colour="red")\nksefkit.Client("test", log_level="loud")\n')
    import os
    out, _, rc = api.run([str(snippet), "--no-incremental", "--cache-dir", os.devnull])
    assert rc != 0
    assert "request_timeout" in out and "colour" in out and "log_level" in out, out
