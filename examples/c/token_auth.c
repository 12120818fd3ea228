/* token_auth: authenticate with a KSeF token and list the context's
   authentication sessions.

     token_auth BASE_URL NIP TOKEN        e.g. against ksef-sim:
     token_auth http://127.0.0.1:8080/v2 5265877635 "$KSEF_TOKEN"

   BASE_URL may also be an environment name: test, demo or prod. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksef.h"
#include "util.h"

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s BASE_URL|test|demo|prod NIP TOKEN\n", argv[0]);
        return 2;
    }
    printf("libksef %s\n", ksef_version());

    /* 1. A client. The configuration is JSON; see ksef_client_new. */
    char cfg[1024];
    if (strstr(argv[1], "://"))
        snprintf(cfg, sizeof cfg, "{\"baseUrl\":\"%s\"}", argv[1]);
    else
        snprintf(cfg, sizeof cfg, "{\"environment\":\"%s\"}", argv[1]);
    ksef_client_t client = 0;
    char *out = NULL;
    size_t out_len = 0;
    int rc = ksef_client_new(cfg, strlen(cfg), &client, &out, &out_len);
    if (rc != KSEF_OK) {
        fprintf(stderr, "client: rc=%d %s\n", rc, out);
        ksef_free(out);
        return 1;
    }
    ksef_free(out);

    /* 2. Token authentication. The tokens stay inside the client; the
       answer only says who we are and until when. (NIP and token must not
       need JSON escaping here; real code builds JSON with a library.) */
    char in[2048];
    snprintf(in, sizeof in, "{\"nip\":\"%s\",\"token\":\"%s\"}", argv[2], argv[3]);
    out = call_op(client, "auth.token", in, &rc);
    memset(in, 0, sizeof in); /* do not leave the token lying around */
    if (rc != KSEF_OK) {
        fprintf(stderr, "auth.token: rc=%d %s\n", rc, out);
        ksef_free(out);
        ksef_client_free(client);
        return 1;
    }
    ksef_free(out);

    /* 3. What the client knows about its session (never the tokens). */
    out = call_op(client, "auth.info", "{}", &rc);
    printf("auth.info: %s\n", out);
    ksef_free(out);

    /* 4. The context's authentication sessions. */
    out = call_op(client, "auth.sessions.list", "{\"pageSize\":10}", &rc);
    if (rc != KSEF_OK) {
        fprintf(stderr, "auth.sessions.list: rc=%d %s\n", rc, out);
        ksef_free(out);
        ksef_client_free(client);
        return 1;
    }
    printf("auth.sessions.list: %s\n", out);
    ksef_free(out);

    ksef_client_free(client);
    return 0;
}
