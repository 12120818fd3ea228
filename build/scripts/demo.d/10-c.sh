# C: link libksef.so and authenticate with the KSeF token (examples/c/token_auth.c).
echo "== C (libksef.so)"
build/c/token_auth "$KSEF_SIM_URL" "$KSEF_SIM_NIP" "$KSEF_SIM_TOKEN"
