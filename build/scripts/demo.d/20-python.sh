# Python: the ksefkit package over ctypes — token and certificate authentication.
echo "== Python (ksefkit over libksef.so)"
PYTHONPATH=bindings/python KSEFKIT_LIB=build/lib/libksef.so python3 - <<'PY'
import os, ksefkit
url, nip, token = os.environ["KSEF_SIM_URL"], os.environ["KSEF_SIM_NIP"], os.environ["KSEF_SIM_TOKEN"]
with ksefkit.Client(base_url=url) as c:
    a = c.auth.with_token(token=token, nip=nip)
    print(f"token auth       context {a.context.value}, reference {a.reference_number}, access token valid until {a.access_token_valid_until}")
    cert = ksefkit.certs.generate_test("personal", nip=nip)
    print(f"test certificate {cert.info.subject} -> identity {cert.info.identity['type']} {cert.info.identity['value']}")
    a = c.auth.with_certificate(cert.certificate_pem.encode(), key=cert.key_pem.encode(), nip=nip)
    print(f"XAdES auth       reference {a.reference_number} ({a.method})")
    print(f"sessions         {len(c.auth.sessions.list(all=True).items)} in this context")
PY
