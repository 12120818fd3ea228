/* test_capi: the C-side tests of libksef, one mode per invocation so the
   shell driver (run_tests.sh) can run each under its own conditions:

     test_capi misuse                    wrong use of the API: codes + envelopes, no crash
     test_capi threads URL NIP TOKEN     8 threads sharing one authenticated client
     test_capi cycles N [URL NIP TOKEN]  create/call/free loops (run under valgrind)
     test_capi xades URL NIP             certificate auth; exit 77 (skip) without auth.xades
     test_capi sessions URL NIP TOKEN GOOD BAD
                                         online sessions from C: a rejected and a duplicate
                                         invoice among accepted ones, a session exported and
                                         restored on a second client, a tampered UPO
     test_capi lost URL NIP TOKEN F1 F2 F3 F4
                                         four invoices while the simulator drops the answers
                                         to sends (drop-after): four KSeF numbers

   Exit status 0 = pass, 1 = fail, 77 = skipped. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksef.h"
#include "util.h"

static int failures;

#define CHECK(cond, ...)                                            \
    do {                                                            \
        if (!(cond)) {                                              \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);    \
            fprintf(stderr, __VA_ARGS__);                           \
            fputc('\n', stderr);                                    \
            failures++;                                             \
        }                                                           \
    } while (0)

/* expect checks a return code and that the envelope mentions want (an
   error code such as "op.unknown"); it also checks the buffer contract:
   NUL-terminated, length without the NUL. */
static void expect(const char *what, int rc, int want_rc, char *out, size_t len, const char *want) {
    CHECK(rc == want_rc, "%s: rc=%d, want %d (%s)", what, rc, want_rc, out ? out : "(null)");
    if (want) {
        CHECK(out != NULL, "%s: no envelope", what);
        if (out) {
            CHECK(strlen(out) == len, "%s: out_len %zu != strlen %zu", what, len, strlen(out));
            CHECK(strstr(out, want) != NULL, "%s: envelope lacks %s: %s", what, want, out);
        }
    }
    ksef_free(out);
}

static ksef_client_t new_client(const char *cfg) {
    ksef_client_t c = client_from(cfg);
    CHECK(c != 0, "client_new(%s)", cfg);
    return c;
}

static int misuse(void) {
    char *out = NULL;
    size_t len = 0;
    int rc;

    /* A sane call first: version needs no client. */
    rc = ksef_call(0, "version", 7, "{}", 2, &out, &len);
    expect("version", rc, KSEF_OK, out, len, "\"ok\":true");
    CHECK(strcmp(ksef_version(), "") != 0, "empty version");

    /* Nowhere to put the answer: only the return code can tell. */
    CHECK(ksef_call(0, "version", 7, "{}", 2, NULL, &len) == KSEF_EINVAL, "out NULL");
    CHECK(ksef_call(0, "version", 7, "{}", 2, &out, NULL) == KSEF_EINVAL, "out_len NULL");
    CHECK(ksef_client_new("{}", 2, NULL, NULL, NULL) == KSEF_EINVAL, "client_new all NULL");
    CHECK(ksef_cancel(1, NULL, NULL) == KSEF_EINVAL, "cancel NULL out");

    /* NULL pointers with lengths, missing operation name. */
    rc = ksef_call(0, NULL, 0, "{}", 2, &out, &len);
    expect("NULL op", rc, KSEF_EINVAL, out, len, "input.invalid");
    rc = ksef_call(0, "version", 7, NULL, 5, &out, &len);
    expect("NULL input with length", rc, KSEF_EINVAL, out, len, "input.invalid");
    rc = ksef_call(0, "version", 7, NULL, 0, &out, &len);
    expect("NULL input, length 0 = {}", rc, KSEF_OK, out, len, "\"ok\":true");
    rc = ksef_client_new("{\"environment\":\"test\"}", 22, NULL, &out, &len);
    expect("client_new NULL client", rc, KSEF_EINVAL, out, len, "input.invalid");

    /* Invalid UTF-8 in the operation name and in the input. */
    rc = ksef_call(0, "vers\xffion", 8, "{}", 2, &out, &len);
    expect("bad UTF-8 op", rc, KSEF_EUTF8, out, len, "input.invalid");
    rc = ksef_call(0, "version", 7, "{\"a\":\"\xc3\x28\"}", 10, &out, &len);
    expect("bad UTF-8 input", rc, KSEF_EUTF8, out, len, "UTF-8");

    /* Unknown operation, malformed JSON, bad configuration. */
    rc = ksef_call(0, "no.such.op", 10, "{}", 2, &out, &len);
    expect("unknown op", rc, KSEF_EFAILED, out, len, "op.unknown");
    rc = ksef_call(0, "version", 7, "{\"x\":", 5, &out, &len);
    expect("bad JSON", rc, KSEF_EFAILED, out, len, "input.invalid");
    ksef_client_t c = 42;
    rc = ksef_client_new("{nope", 5, &c, &out, &len);
    expect("bad config JSON", rc, KSEF_EFAILED, out, len, "input.invalid");
    CHECK(c == 0, "handle %llu after failed client_new", (unsigned long long)c);
    rc = ksef_client_new("{\"environment\":\"test\",\"colour\":1}", 33, &c, &out, &len);
    expect("unknown config field", rc, KSEF_EFAILED, out, len, "input.invalid");

    /* Handles: an operation needing a client without one, forged ids,
       double free, use after free. */
    rc = ksef_call(0, "auth.info", 9, "{}", 2, &out, &len);
    expect("auth.info without client", rc, KSEF_EHANDLE, out, len, "handle.invalid");
    rc = ksef_call(0xdeadbeefULL, "auth.info", 9, "{}", 2, &out, &len);
    expect("forged handle", rc, KSEF_EHANDLE, out, len, "handle.invalid");
    c = new_client("{\"environment\":\"test\"}");
    rc = ksef_call(c, "auth.info", 9, "{}", 2, &out, &len);
    expect("auth.info fresh client", rc, KSEF_OK, out, len, "\"authenticated\":false");
    CHECK(ksef_client_free(c) == KSEF_OK, "first free");
    CHECK(ksef_client_free(c) == KSEF_EHANDLE, "double free must be KSEF_EHANDLE");
    CHECK(ksef_client_free(0) == KSEF_EHANDLE, "free(0)");
    rc = ksef_call(c, "auth.info", 9, "{}", 2, &out, &len);
    expect("use after free", rc, KSEF_EHANDLE, out, len, "handle.invalid");
    rc = ksef_call(c, "auth.token", 10, "{\"nip\":\"5265877635\",\"token\":\"x\"}", 32, &out, &len);
    expect("auth.token after free", rc, KSEF_EHANDLE, out, len, "handle.invalid");

    /* Step/resume: unknown ids, a client-less operation end to end. */
    rc = ksef_resume(987654, "{}", 2, &out, &len);
    expect("resume unknown op", rc, KSEF_EHANDLE, out, len, "handle.invalid");
    rc = ksef_cancel(987654, &out, &len);
    expect("cancel unknown op", rc, KSEF_EHANDLE, out, len, "handle.invalid");
    rc = ksef_start(0, "version", 7, "{}", 2, &out, &len);
    expect("start version", rc, KSEF_OK, out, len, "\"kind\":\"done\"");
    rc = ksef_start(0, "nope", 4, "{}", 2, &out, &len);
    expect("start unknown op", rc, KSEF_EFAILED, out, len, "op.unknown");
    rc = ksef_start(777, "auth.info", 9, "{}", 2, &out, &len);
    expect("start with forged client", rc, KSEF_EHANDLE, out, len, "handle.invalid");

    /* The streamed protocol's calls (docs/step.md): options checked, bytes
       beside answers and events checked. */
    rc = ksef_start_with(0, "version", 7, "{}", 2, "{\"streams\":true,\"progress\":true}", 32, &out, &len);
    expect("start_with version", rc, KSEF_OK, out, len, "\"kind\":\"done\"");
    rc = ksef_start_with(0, "version", 7, "{}", 2, "{\"stream\":true}", 15, &out, &len);
    expect("start_with a misspelt option", rc, KSEF_EFAILED, out, len, "input.invalid");
    rc = ksef_start_with(0, "version", 7, "{}", 2, NULL, 5, &out, &len);
    expect("start_with NULL options", rc, KSEF_EINVAL, out, len, "input.invalid");
    rc = ksef_resume_data(987654, "{}", 2, NULL, 3, &out, &len);
    expect("resume_data NULL data", rc, KSEF_EINVAL, out, len, "input.invalid");
    rc = ksef_resume_data(987654, "{}", 2, "abc", 3, &out, &len);
    expect("resume_data unknown op", rc, KSEF_EHANDLE, out, len, "handle.invalid");
    rc = ksef_event_data(987654, &out, &len);
    expect("event_data unknown op", rc, KSEF_EHANDLE, out, len, "handle.invalid");
    rc = ksef_event_data(987654, NULL, &len);
    CHECK(rc == KSEF_EINVAL, "event_data NULL out: rc=%d", rc);

    /* A network operation under step/resume: the first event asks the host
       for HTTP; cancel it and nothing stays in flight. */
    c = new_client("{\"baseUrl\":\"http://127.0.0.1:9/v2\"}");
    rc = ksef_start(c, "auth.token", 10, "{\"nip\":\"5265877635\",\"token\":\"t\"}", 32, &out, &len);
    CHECK(rc == KSEF_OK && out && strstr(out, "\"kind\":\"http\""), "start auth.token: rc=%d %s", rc, out);
    unsigned long long op = 0;
    const char *p = out ? strstr(out, "\"op\":") : NULL;
    if (p) op = strtoull(p + 5, NULL, 10);
    ksef_free(out);
    CHECK(ksef_inflight() == 1, "inflight %d, want 1", ksef_inflight());
    rc = ksef_cancel(op, &out, &len);
    expect("cancel in flight", rc, KSEF_EFAILED, out, len, "canceled");
    rc = ksef_resume(op, "{}", 2, &out, &len);
    expect("resume after cancel", rc, KSEF_EHANDLE, out, len, "handle.invalid");
    CHECK(ksef_inflight() == 0, "inflight %d, want 0", ksef_inflight());
    ksef_client_free(c);

    ksef_free(NULL); /* allowed */
    return failures ? 1 : 0;
}

/* ---- threads ---- */

struct shared {
    ksef_client_t client;
    int errors;
    int calls;
    pthread_mutex_t mu;
};

static void *worker(void *arg) {
    struct shared *s = arg;
    for (int i = 0; i < 25; i++) {
        const char *op = (i % 2) ? "auth.sessions.list" : "auth.info";
        int rc;
        char *out = call_op(s->client, op, "{}", &rc);
        int bad = rc != KSEF_OK || !out || !strstr(out, "\"ok\":true");
        if (bad) fprintf(stderr, "thread call %s: rc=%d %s\n", op, rc, out);
        ksef_free(out);
        pthread_mutex_lock(&s->mu);
        s->calls++;
        s->errors += bad;
        pthread_mutex_unlock(&s->mu);
    }
    return NULL;
}

static int auth_client(ksef_client_t c, const char *nip, const char *token) {
    char in[1024];
    snprintf(in, sizeof in, "{\"nip\":\"%s\",\"token\":\"%s\"}", nip, token);
    int rc;
    char *out = call_op(c, "auth.token", in, &rc);
    if (rc != KSEF_OK) fprintf(stderr, "auth.token: rc=%d %s\n", rc, out);
    ksef_free(out);
    return rc;
}

static int threads(const char *url, const char *nip, const char *token) {
    char cfg[512];
    snprintf(cfg, sizeof cfg, "{\"baseUrl\":\"%s\"}", url);
    struct shared s = {.client = new_client(cfg)};
    pthread_mutex_init(&s.mu, NULL);
    if (auth_client(s.client, nip, token) != KSEF_OK) return 1;
    pthread_t t[8];
    for (int i = 0; i < 8; i++) pthread_create(&t[i], NULL, worker, &s);
    for (int i = 0; i < 8; i++) pthread_join(t[i], NULL);
    CHECK(s.calls == 8 * 25, "calls %d", s.calls);
    CHECK(s.errors == 0, "%d of %d calls failed", s.errors, s.calls);
    ksef_client_free(s.client);
    printf("threads: %d calls from 8 threads on one client, %d errors\n", s.calls, s.errors);
    return failures ? 1 : 0;
}

/* ---- cycles (for valgrind) ---- */

static int cycles(int n, const char *url, const char *nip, const char *token) {
    /* KSEF_TEST_LEAK=1 leaks on purpose, to prove valgrind would notice. */
    int leak = getenv("KSEF_TEST_LEAK") != NULL;
    char cfg[512];
    snprintf(cfg, sizeof cfg, url ? "{\"baseUrl\":\"%s\"}" : "{\"environment\":\"test\"}", url);
    for (int i = 0; i < n; i++) {
        ksef_client_t c = new_client(cfg);
        int rc;
        char *v = call_op(c, "version", "{}", &rc);
        if (!leak) ksef_free(v); /* the negative control forgets one buffer */
        ksef_free(call_op(c, "auth.info", "{}", &rc));
        ksef_free(call_op(c, "no.such.op", "{}", &rc));
        ksef_free(call_op(c, "version", "{\"bad\":", &rc));
        if (url && nip && token && auth_client(c, nip, token) != KSEF_OK) failures++;
        if (url && nip && token) ksef_free(call_op(c, "auth.sessions.list", "{}", &rc));
        ksef_client_free(c);
        ksef_client_free(c);
    }
    CHECK(ksef_inflight() == 0, "inflight %d", ksef_inflight());
    printf("cycles: %d create/call/free cycles\n", n);
    return failures ? 1 : 0;
}

/* ---- certificate authentication ---- */

static int xades(const char *url, const char *nip) {
    int rc;
    char *ops = call_op(0, "ops.list", "{}", &rc);
    int have = ops && strstr(ops, "\"auth.xades\"") && strstr(ops, "\"certs.generate_test\"");
    ksef_free(ops);
    if (!have) {
        printf("xades: SKIP (auth.xades not in ops.list)\n");
        return 77;
    }
    char in[512];
    /* A company seal for the NIP, as PKCS#12: its base64 is exactly what
       auth.xades takes as certificate. */
    snprintf(in, sizeof in, "{\"kind\":\"seal\",\"nip\":\"%s\",\"keyType\":\"ecdsa\",\"password\":\"pw-123\"}", nip);
    char *gen = call_op(0, "certs.generate_test", in, &rc);
    CHECK(rc == KSEF_OK, "certs.generate_test: rc=%d %s", rc, gen);
    if (rc != KSEF_OK) {
        ksef_free(gen);
        return 1;
    }
    size_t cap = strlen(gen) + 256;
    char *p12 = malloc(cap), *auth = malloc(cap);
    json_str(gen, "pkcs12", p12, cap);
    ksef_free(gen);
    snprintf(auth, cap, "{\"certificate\":\"%s\",\"password\":\"pw-123\",\"nip\":\"%s\"}", p12, nip);

    char cfg[512];
    snprintf(cfg, sizeof cfg, "{\"baseUrl\":\"%s\"}", url);
    ksef_client_t c = new_client(cfg);
    char *out = call_op(c, "auth.xades", auth, &rc);
    CHECK(rc == KSEF_OK && strstr(out, nip), "auth.xades: rc=%d %s", rc, out);
    ksef_free(out);
    out = call_op(c, "auth.info", "{}", &rc);
    CHECK(rc == KSEF_OK && strstr(out, "\"authenticated\":true"), "auth.info after xades: %s", out);
    ksef_free(out);

    /* The wrong password fails locally, before any request. */
    snprintf(auth, cap, "{\"certificate\":\"%s\",\"password\":\"wrong\",\"nip\":\"%s\"}", p12, nip);
    out = call_op(c, "auth.xades", auth, &rc);
    CHECK(rc == KSEF_EFAILED && out && (strstr(out, "crypto") || strstr(out, "input.invalid")),
          "wrong password: rc=%d %s", rc, out);
    ksef_free(out);
    ksef_client_free(c);
    free(p12);
    free(auth);
    printf("xades: certificate authentication ok\n");
    return failures ? 1 : 0;
}

/* ---- online sessions ---- */

/* find returns the first occurrence of needle in the n bytes at hay. */
static unsigned char *find(unsigned char *hay, size_t n, const char *needle) {
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= n; i++)
        if (!memcmp(hay + i, needle, m)) return hay + i;
    return NULL;
}

static int occurrences(const char *hay, const char *needle) {
    int n = 0;
    for (const char *p = hay; p && (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
    return n;
}

static ksef_client_t session_client(const char *url, const char *nip, const char *token) {
    char cfg[512];
    snprintf(cfg, sizeof cfg, "{\"baseUrl\":\"%s\",\"environment\":\"test\",\"sessionPollInitialMs\":10,\"sessionPollMaxMs\":50}", url);
    ksef_client_t c = new_client(cfg);
    if (auth_client(c, nip, token) != KSEF_OK) failures++;
    return c;
}

static int sessions(const char *url, const char *nip, const char *token, const char *good, const char *bad) {
    ksef_client_t c = session_client(url, nip, token);
    int rc;
    char in[4096];

    /* 1. good, bad (XSD), good again: accepted, rejected 430, duplicate. */
    snprintf(in, sizeof in, "{\"invoices\":[{\"path\":\"%s\"},{\"path\":\"%s\"},{\"path\":\"%s\"}]}", good, bad, good);
    char *out = call_op(c, "invoices.send", in, &rc);
    CHECK(rc == KSEF_OK, "invoices.send: rc=%d %s", rc, out);
    const char *docs = out ? strstr(out, "\"documents\":") : NULL;
    CHECK(docs && strstr(docs, "\"outcome\":\"accepted\"") && strstr(docs, "\"outcome\":\"rejected\"") &&
              strstr(docs, "\"outcome\":\"duplicate\"") && strstr(docs, "\"code\":430") && strstr(docs, "\"code\":440"),
          "outcomes: %s", out);
    char first[64], number[64];
    json_str(docs, "ksefNumber", first, sizeof first);
    const char *dup = docs ? strstr(docs, "\"outcome\":\"duplicate\"") : NULL;
    const char *dupdoc = dup;
    while (dupdoc && dupdoc > docs && strncmp(dupdoc, "{\"index\":", 9)) dupdoc--;
    json_str(dupdoc, "ksefNumber", number, sizeof number);
    CHECK(first[0] && !strcmp(first, number), "the duplicate names %s, the first copy got %s", number, first);
    CHECK(occurrences(out, "\"verified\":true") >= 1, "no verified UPO");

    /* 2. A tampered UPO fails verification with signature.invalid. */
    const char *x = out ? strstr(out, "\"upo\":[{") : NULL;
    x = x ? strstr(x, "\"xml\":\"") : NULL;
    if (x) {
        x += 7;
        size_t n = 0;
        unsigned char *xml = unb64(x, strcspn(x, "\""), &n);
        /* Still a well-formed UPO, but not what KSeF signed. */
        unsigned char *hit = xml ? find(xml, n, "<NumerFaktury>F") : NULL;
        CHECK(hit != NULL, "UPO without NumerFaktury");
        if (hit) hit[14] = 'f';
        char *enc = b64(xml, n);
        size_t need = strlen(enc) + 16;
        char *vin = malloc(need);
        snprintf(vin, need, "{\"xml\":\"%s\"}", enc);
        char *v = call_op(0, "upo.verify", vin, &rc);
        CHECK(rc == KSEF_EFAILED && v && strstr(v, "signature.invalid"), "tampered UPO: rc=%d %.200s", rc, v);
        ksef_free(v);
        free(vin);
        free(enc);
        free(xml);
    } else {
        CHECK(0, "no UPO XML in the report");
    }
    ksef_free(out);

    /* 3. Open, send, export; a second client restores, sends, closes and waits. */
    out = call_op(c, "sessions.online.open", "{}", &rc);
    char ref[64];
    json_str(out, "referenceNumber", ref, sizeof ref);
    CHECK(rc == KSEF_OK && ref[0], "open: %s", out);
    ksef_free(out);
    char *fresh = getenv("KSEF_TEST_FRESH"); /* a third invoice file, unique */
    snprintf(in, sizeof in, "{\"referenceNumber\":\"%s\",\"path\":\"%s\"}", ref, fresh ? fresh : good);
    ksef_free(call_op(c, "sessions.online.send", in, &rc));
    CHECK(rc == KSEF_OK, "send into the session: rc=%d", rc);
    snprintf(in, sizeof in, "{\"referenceNumber\":\"%s\"}", ref);
    char *state = call_op(c, "sessions.online.export", in, &rc);
    CHECK(rc == KSEF_OK && state && strstr(state, "\"key\":"), "export: rc=%d", rc);
    ksef_client_t other = session_client(url, nip, token);
    const char *st = state ? strstr(state, "\"result\":") : NULL;
    if (st) {
        st += 9;
        size_t l = strlen(st);
        char *body = malloc(l);
        memcpy(body, st, l - 1); /* drop the envelope's closing brace */
        body[l - 1] = 0;
        ksef_free(call_op(other, "sessions.online.restore", body, &rc));
        CHECK(rc == KSEF_OK, "restore: rc=%d", rc);
        memset(body, 0, l);
        free(body);
    }
    if (state) memset(state, 0, strlen(state)); /* the key */
    ksef_free(state);
    const char *second = getenv("KSEF_TEST_FRESH2");
    snprintf(in, sizeof in, "{\"referenceNumber\":\"%s\",\"path\":\"%s\"}", ref, second ? second : good);
    ksef_free(call_op(other, "sessions.online.send", in, &rc));
    CHECK(rc == KSEF_OK, "send into the restored session: rc=%d", rc);
    snprintf(in, sizeof in, "{\"referenceNumber\":\"%s\",\"wait\":true}", ref);
    out = call_op(other, "sessions.online.close", in, &rc);
    CHECK(rc == KSEF_OK && out && strstr(out, "\"successfulInvoiceCount\":2"), "close+wait: %s", out);
    ksef_free(out);
    ksef_client_free(other);
    ksef_client_free(c);
    printf("sessions: rejected and duplicate among accepted, tampered UPO refused, restored session closed\n");
    return failures ? 1 : 0;
}

/* lost sends every invoice once while the simulator drops answers. */
static int lost(const char *url, const char *nip, const char *token, char **files, int n) {
    ksef_client_t c = session_client(url, nip, token);
    char in[4096] = "{\"invoices\":[";
    for (int i = 0; i < n; i++) {
        strcat(in, i ? ",{\"path\":\"" : "{\"path\":\"");
        strcat(in, files[i]);
        strcat(in, "\"}");
    }
    strcat(in, "]}");
    int rc;
    char *out = call_op(c, "invoices.send", in, &rc);
    /* "ok":true followed by "ksefNumber" is a document in KSeF (DocumentResult's field order). */
    int in_ksef = occurrences(out, "\"ok\":true,\"ksefNumber\"");
    CHECK(rc == KSEF_OK && in_ksef == n, "%d of %d in KSeF: %.300s", in_ksef, n, out);
    CHECK(occurrences(out, "\"recovered\":true") >= 1, "no send was recovered from the session list");
    ksef_free(out);
    ksef_client_free(c);
    printf("lost: %d invoices, each in KSeF once\n", n);
    return failures ? 1 : 0;
}

/* sanitizer-control: a deliberate fault for run_tests.sh to prove the
   sanitizer build really checks — "asan" reads one byte past an envelope
   malloc'ed by libksef (so ASan also tracks the library's allocations),
   "ubsan" overflows a signed int. Both must abort under the sanitizers. */
static int sanitizer_control(const char *which, int argc) {
    if (!strcmp(which, "asan")) {
        int rc;
        char *out = call_op(0, "version", "{}", &rc);
        size_t n = strlen(out);
        volatile char past = out[n + 1 + (size_t)(argc > 99)];
        ksef_free(out);
        return past == 0x7f ? 3 : 0;
    }
    if (!strcmp(which, "ubsan")) {
        volatile int big = 2147483647;
        int sum = big + argc; /* signed overflow: undefined behaviour */
        return sum == 0 ? 3 : 0;
    }
    return 2;
}

int main(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "misuse")) return misuse();
    if (argc == 3 && !strcmp(argv[1], "sanitizer-control")) return sanitizer_control(argv[2], argc);
    if (argc == 5 && !strcmp(argv[1], "threads")) return threads(argv[2], argv[3], argv[4]);
    if (argc >= 3 && !strcmp(argv[1], "cycles"))
        return cycles(atoi(argv[2]), argc > 3 ? argv[3] : NULL, argc > 4 ? argv[4] : NULL, argc > 5 ? argv[5] : NULL);
    if (argc == 4 && !strcmp(argv[1], "xades")) return xades(argv[2], argv[3]);
    if (argc == 7 && !strcmp(argv[1], "sessions")) return sessions(argv[2], argv[3], argv[4], argv[5], argv[6]);
    if (argc >= 6 && !strcmp(argv[1], "lost")) return lost(argv[2], argv[3], argv[4], argv + 5, argc - 5);
    fprintf(stderr, "usage: %s misuse | threads URL NIP TOKEN | cycles N [URL NIP TOKEN] | xades URL NIP"
                    " | sessions URL NIP TOKEN GOOD BAD | lost URL NIP TOKEN FILE... | sanitizer-control asan|ubsan\n", argv[0]);
    return 2;
}
