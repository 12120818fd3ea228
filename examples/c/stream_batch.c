/* stream_batch: a batch session under ksef_start_with — the C host of the
   step protocol (docs/step.md) for programs with their own event loop.

     stream_batch streams BASE_URL NIP TOKEN DIR [PART_SIZE]
     stream_batch native  BASE_URL NIP TOKEN DIR [PART_SIZE]

   streams: {"streams":true,"progress":true}. The program performs every
   HTTP request itself — plain HTTP/1.1 over a socket, enough for the
   loopback simulator (a real host uses its HTTP library) — and the part
   uploads' bodies are pulled from the library chunk by chunk
   (ksef_event_data) while the request is being sent: neither side holds a
   part. native: {"native":true,"progress":true}, the library does the I/O
   and the only events are progress reports and done — ksef_call with a
   progress bar.

   Prints each stage's last report and a summary; exit 0 when KSeF processed
   the session (200), every upload report arrived and (streams) no chunk was
   larger than 1 MiB. */
#define _POSIX_C_SOURCE 200809L
#include <netdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ksef.h"
#include "util.h"

static long long jnum(const char *json, const char *key) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(json, pat);
    return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

/* jstring copies the JSON string starting at p (after its opening quote)
   into a malloc'ed buffer, undoing the escapes Go writes (\" \\ \/ \uXXXX
   of ASCII); *end points after the closing quote. */
static char *jstring(const char *p, const char **end) {
    char *o = malloc(strlen(p) + 1), *q = o;
    while (*p && *p != '"') {
        if (*p == '\\' && p[1]) {
            p++;
            if (*p == 'u') {
                unsigned v = 0;
                sscanf(p + 1, "%4x", &v);
                *q++ = (char)v;
                p += 5;
                continue;
            }
            *q++ = *p == 'n' ? '\n' : *p == 't' ? '\t' : *p;
            p++;
            continue;
        }
        *q++ = *p++;
    }
    *q = 0;
    if (end) *end = *p ? p + 1 : p;
    return o;
}

static char *jstr(const char *json, const char *key) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":\"", key);
    const char *p = strstr(json, pat);
    return p ? jstring(p + strlen(pat), NULL) : NULL;
}

/* The answer JSON is built in a growing buffer. */
typedef struct {
    char *p;
    size_t n, cap;
} buf_t;

static void put(buf_t *b, const void *s, size_t n) {
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void puts_(buf_t *b, const char *s) { put(b, s, strlen(s)); }

static void put_json_string(buf_t *b, const char *s, size_t n) {
    puts_(b, "\"");
    for (size_t i = 0; i < n; i++) {
        char esc[8];
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char)c;
            put(b, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            puts_(b, esc);
        } else {
            put(b, &s[i], 1);
        }
    }
    puts_(b, "\"");
}

typedef struct {
    ksef_op_t op;
    char *ev; /* the current event (the library's buffer) */
    size_t ev_len;
    int chunks, max_chunk, bad;
    char stage[32];
    long long upload_done, upload_total, upload_bytes, upload_bytes_total;
} host_t;

static void take(host_t *h, int rc, char *out, size_t len) {
    (void)rc;
    ksef_free(h->ev);
    h->ev = out, h->ev_len = len;
    const char *p = out ? strstr(out, "\"progress\":{") : NULL;
    if (p) { /* the latest report: keep the upload stage's counters */
        char stage[32];
        json_str(p, "stage", stage, sizeof stage);
        if (strcmp(stage, h->stage)) printf("progress: %s\n", stage);
        snprintf(h->stage, sizeof h->stage, "%s", stage);
        if (!strcmp(stage, "upload")) {
            h->upload_done = jnum(p, "done"), h->upload_total = jnum(p, "total");
            h->upload_bytes = jnum(p, "bytes"), h->upload_bytes_total = jnum(p, "bytesTotal");
        }
    }
}

static void resume(host_t *h, const char *answer) {
    char *out = NULL;
    size_t len = 0;
    int rc = ksef_resume(h->op, answer, strlen(answer), &out, &len);
    take(h, rc, out, len);
}

static int kind_is(host_t *h, const char *kind) {
    char k[32];
    return !strcmp(json_str(h->ev, "kind", k, sizeof k), kind);
}

static int send_all(int fd, const void *p, size_t n) {
    for (size_t k = 0; k < n;) {
        ssize_t w = send(fd, (const char *)p + k, n - k, MSG_NOSIGNAL);
        if (w <= 0) return -1;
        k += (size_t)w;
    }
    return 0;
}

/* dial connects to http://host:port; *path gets where the path starts. */
static int dial(const char *url, const char **path) {
    if (strncmp(url, "http://", 7)) return -1; /* the simulator's URLs are plain loopback HTTP */
    const char *h = url + 7, *slash = strchr(h, '/');
    *path = slash ? slash : "/";
    char host[256], port[16] = "80";
    size_t n = slash ? (size_t)(slash - h) : strlen(h);
    if (n >= sizeof host) return -1;
    memcpy(host, h, n), host[n] = 0;
    char *colon = strrchr(host, ':');
    if (colon) {
        snprintf(port, sizeof port, "%s", colon + 1);
        *colon = 0;
    }
    struct addrinfo hints = {0}, *ai;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &ai)) return -1;
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen)) {
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

/* pull sends the streamed request body to fd: each pull answer brings a
   body event with up to 1 MiB beside it. Returns 0, or -1 when the
   exchange ended otherwise (h->ev is then the event to go on with). */
static int pull(host_t *h, int fd, long long length) {
    long long sent = 0;
    while (sent < length) {
        char a[96];
        snprintf(a, sizeof a, "{\"pull\":true,\"offset\":%lld}", sent);
        resume(h, a);
        while (kind_is(h, "progress")) resume(h, "{}");
        if (!kind_is(h, "body")) return -1;
        char *data = NULL;
        size_t n = 0;
        if (ksef_event_data(h->op, &data, &n) != KSEF_OK || (long long)n != jnum(h->ev, "dataLen") || jnum(h->ev, "offset") != sent) {
            fprintf(stderr, "body event: %zu bytes beside it, %s\n", n, h->ev);
            h->bad++;
            ksef_free(data);
            return -1;
        }
        h->chunks++;
        if ((int)n > h->max_chunk) h->max_chunk = (int)n;
        int err = send_all(fd, data, n);
        ksef_free(data);
        sent += (long long)n;
        if (err) break; /* the server answered early, or went away: its answer (or the failure) follows */
        if (strstr(h->ev, "\"eof\":true")) break;
    }
    return 0;
}

/* perform answers the http event in h->ev (and, for a streamed body, the
   body events that follow it) with the response. */
static void perform(host_t *h) {
    const char *ev = h->ev, *path;
    char *method = jstr(ev, "method"), *url = jstr(ev, "url"), *body64 = jstr(ev, "body");
    long long length = jnum(ev, "bodyLength");
    int fd = url ? dial(url, &path) : -1;
    buf_t req = {0}, resp = {0}, ans = {0};
    if (fd < 0) {
        resume(h, "{\"error\":\"cannot connect\",\"timeout\":false}");
        goto out;
    }
    puts_(&req, method), puts_(&req, " "), puts_(&req, path), puts_(&req, " HTTP/1.1\r\nConnection: close\r\n");
    {
        const char *hp = strstr(ev, "\"headers\":{");
        const char *hn = strchr(url + 7, '/');
        char host[300];
        snprintf(host, sizeof host, "Host: %.*s\r\n", hn ? (int)(hn - url - 7) : (int)strlen(url + 7), url + 7);
        puts_(&req, host);
        for (hp = hp ? hp + strlen("\"headers\":{") : NULL; hp && *hp == '"';) {
            const char *e;
            char *k = jstring(hp + 1, &e);
            char *v = jstring(e + 2, &e); /* after ":" and its quote */
            puts_(&req, k), puts_(&req, ": "), puts_(&req, v), puts_(&req, "\r\n");
            free(k), free(v);
            hp = *e == ',' ? e + 1 : NULL;
        }
    }
    unsigned char *body = NULL;
    size_t body_n = 0;
    if (body64) body = unb64(body64, strlen(body64), &body_n);
    char cl[64];
    snprintf(cl, sizeof cl, "Content-Length: %lld\r\n\r\n", length >= 0 ? length : (long long)body_n);
    puts_(&req, cl);
    int failed = send_all(fd, req.p, req.n) || (body_n && send_all(fd, body, body_n));
    free(body);
    if (!failed && length > 0 && pull(h, fd, length) < 0) { /* the core gave the exchange up */
        close(fd);
        if (kind_is(h, "close")) resume(h, "{}");
        goto out;
    }
    char chunk[65536];
    ssize_t r;
    while ((r = recv(fd, chunk, sizeof chunk, 0)) > 0) put(&resp, chunk, (size_t)r);
    close(fd);
    char *hdr_end = resp.p ? strstr(resp.p, "\r\n\r\n") : NULL;
    int status = resp.p ? atoi(resp.p + 9) : 0;
    if (!hdr_end || status < 100) {
        resume(h, "{\"error\":\"no HTTP answer\",\"timeout\":false}");
        goto out;
    }
    *hdr_end = 0;
    const char *rbody = hdr_end + 4;
    size_t rbody_n = resp.n - (size_t)(rbody - resp.p);
    char sbuf[48];
    snprintf(sbuf, sizeof sbuf, "{\"status\":%d,\"headers\":{", status);
    puts_(&ans, sbuf);
    int first = 1, chunked = 0;
    for (char *line = strstr(resp.p, "\r\n"); line; line = strstr(line, "\r\n")) {
        line += 2;
        char *colon = strchr(line, ':'), *eol = strstr(line, "\r\n");
        if (!colon || (eol && colon > eol)) break;
        size_t kn = (size_t)(colon - line), vn = (eol ? (size_t)(eol - colon) : strlen(colon)) - 1;
        const char *v = colon + 1;
        while (vn && *v == ' ') v++, vn--;
        if (kn == 17 && !strncasecmp(line, "Transfer-Encoding", 17)) {
            chunked = 1;
            continue;
        }
        if (!first) puts_(&ans, ",");
        first = 0;
        put_json_string(&ans, line, kn), puts_(&ans, ":"), put_json_string(&ans, v, vn);
    }
    puts_(&ans, "},\"body\":\"");
    buf_t plain = {0};
    if (chunked) { /* size line, bytes, CRLF … 0 */
        const char *p = rbody, *end = rbody + rbody_n;
        for (size_t k; p < end && (k = strtoul(p, NULL, 16)) > 0;) {
            p = strstr(p, "\r\n") + 2;
            put(&plain, p, k);
            p += k + 2;
        }
    } else {
        put(&plain, rbody, rbody_n);
    }
    char *enc = b64((const unsigned char *)(plain.p ? plain.p : ""), plain.n);
    puts_(&ans, enc), puts_(&ans, "\"}");
    free(enc), free(plain.p);
    resume(h, ans.p);
out:
    free(method), free(url), free(body64), free(req.p), free(resp.p), free(ans.p);
}

int main(int argc, char **argv) {
    if (argc < 6 || argc > 7 || (strcmp(argv[1], "streams") && strcmp(argv[1], "native"))) {
        fprintf(stderr, "usage: %s streams|native BASE_URL NIP TOKEN DIR [PART_SIZE]\n", argv[0]);
        return 2;
    }
    int streams = !strcmp(argv[1], "streams");
    char cfg[1024];
    snprintf(cfg, sizeof cfg, "{\"baseUrl\":\"%s\",\"sessionPollInitialMs\":20,\"sessionPollMaxMs\":200}", argv[2]);
    ksef_client_t client = client_from(cfg);
    if (!client) return 1;
    char in[4096];
    int rc;
    snprintf(in, sizeof in, "{\"nip\":\"%s\",\"token\":\"%s\"}", argv[3], argv[4]);
    char *out = call_op(client, "auth.token", in, &rc);
    memset(in, 0, sizeof in);
    ksef_free(out);
    if (rc != KSEF_OK) {
        fprintf(stderr, "auth.token: rc=%d\n", rc);
        ksef_client_free(client);
        return 1;
    }
    snprintf(in, sizeof in, "{\"dir\":\"%s\",\"store\":true,\"skipInvalid\":true,\"partSize\":%s}", argv[5], argc > 6 ? argv[6] : "100000000");
    const char *opts = streams ? "{\"streams\":true,\"progress\":true}" : "{\"native\":true,\"progress\":true}";
    host_t h = {0};
    size_t len = 0;
    out = NULL;
    rc = ksef_start_with(client, "batch.send", 10, in, strlen(in), opts, strlen(opts), &out, &len);
    take(&h, rc, out, len);
    h.op = (ksef_op_t)jnum(h.ev, "op");
    int events = 0;
    while (h.ev && !kind_is(&h, "done") && events++ < 1000000) {
        if (kind_is(&h, "http") && streams) {
            perform(&h);
        } else if (kind_is(&h, "sleep") && streams) {
            struct timespec ts = {jnum(h.ev, "ms") / 1000, jnum(h.ev, "ms") % 1000 * 1000000};
            nanosleep(&ts, NULL);
            resume(&h, "{}");
        } else if (kind_is(&h, "progress")) {
            resume(&h, "{}");
        } else {
            fprintf(stderr, "unexpected event: %.300s\n", h.ev);
            char *c = NULL;
            size_t cl = 0;
            ksef_cancel(h.op, &c, &cl);
            ksef_free(c);
            h.bad++;
            break;
        }
    }
    const char *st = h.ev ? strstr(h.ev, "\"status\":{\"code\":") : NULL;
    int code = st ? atoi(st + strlen("\"status\":{\"code\":")) : 0;
    const char *okc = h.ev ? strstr(h.ev, "\"successfulInvoiceCount\":") : NULL;
    printf("batch (%s): status %d, %d accepted; upload progress %lld of %lld parts, %lld of %lld bytes\n", argv[1], code,
           okc ? atoi(okc + strlen("\"successfulInvoiceCount\":")) : -1, h.upload_done, h.upload_total, h.upload_bytes,
           h.upload_bytes_total);
    if (streams) printf("chunks pulled: %d, largest %d bytes\n", h.chunks, h.max_chunk);
    int pass = code == 200 && !h.bad && h.upload_total > 0 && h.upload_done == h.upload_total &&
               h.upload_bytes == h.upload_bytes_total && (!streams || (h.chunks > 0 && h.max_chunk <= 1 << 20));
    if (!pass && h.ev) fprintf(stderr, "last event: %.500s\n", h.ev);
    ksef_free(h.ev);
    ksef_client_free(client);
    return pass ? 0 : 1;
}
