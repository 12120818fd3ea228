#!/bin/sh
# run_tests.sh — the C test suite of libksef (make test-c runs it).
# Needs: BUILD (build dir), KSEF_SIM (simulator binary); valgrind optional;
# SAN_BIN: the same programs built with ASan+LSan+UBSan (mk/capi.mk), optional.
set -u
BUILD=${BUILD:-build}
KSEF_SIM=${KSEF_SIM:-$BUILD/bin/ksef-sim}
CC=${CC:-cc}
CXX=${CXX:-c++}
BIN=$BUILD/c
SAN_BIN=${SAN_BIN:-}
# Sanitizer runs: any report fails the program (leaks included, checked at
# exit); the Go runtime in libksef.so needs no exceptions.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
LIB=$BUILD/lib/libksef.so
# KSEF_EXEC: what runs the test programs, e.g. "qemu-aarch64-static -L SYSROOT"
# for another architecture's build (make test-aarch64); empty runs them directly.
EXEC=${KSEF_EXEC:-}
TMP=$(mktemp -d)
. "$(dirname "$0")/testlib.sh"
cleanup() { stop_sim; [ -n "${RSIM_PID:-}" ] && kill "$RSIM_PID" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT INT TERM

# 1. The public header compiles cleanly as C and C++ (pedantic, warnings as errors).
printf '#include "ksef.h"\nint main(void) { return ksef_inflight() + (ksef_version() == 0); }\n' >"$TMP/h.c"
run "header compiles as C99"  $CC  -std=c99   -Wall -Wextra -Wpedantic -Wstrict-prototypes -Werror -I"$BUILD/include" -c "$TMP/h.c" -o "$TMP/h.o"
cp "$TMP/h.c" "$TMP/h.cpp"
run "header compiles as C++11" $CXX -std=c++11 -Wall -Wextra -Wpedantic -Werror -I"$BUILD/include" -c "$TMP/h.cpp" -o "$TMP/hpp.o"

# 2. Only ksef_* symbols are exported.
others=$(nm -D --defined-only "$LIB" | awk '{print $3}' | grep -v '^ksef_')
if [ -z "$others" ]; then ok "only ksef_* exported"; else bad "foreign exports: $others"; fi

# 3. Misuse never crashes.
run "misuse: codes and envelopes" $EXEC "$BIN/test_capi" misuse

# 3a. The same under AddressSanitizer/LeakSanitizer/UBSan, with negative
# controls proving the checks are live (an overread of a buffer libksef
# malloc'ed, a signed overflow).
if [ -n "$SAN_BIN" ]; then
	run "asan+ubsan: misuse" "$SAN_BIN/test_capi" misuse
	for w in asan ubsan; do
		if "$SAN_BIN/test_capi" sanitizer-control $w >"$TMP/out" 2>&1; then
			bad "sanitizer negative control ($w): a deliberate fault went unnoticed"
		elif grep -q -E "ERROR: AddressSanitizer|runtime error:" "$TMP/out"; then
			ok "sanitizer negative control ($w): a deliberate fault is caught"
		else
			bad "sanitizer negative control ($w) failed for another reason"; tail -20 "$TMP/out"
		fi
	done
	if command -v python3 >/dev/null; then
		run "asan+ubsan: parity vectors" python3 "$(dirname "$0")/parity.py" "$SAN_BIN/parity_call"
	fi
else
	skp "sanitizers (SAN_BIN not set)"
fi

# 3b. Parity vectors: ksef_call answers exactly the envelopes the Go core
# answers (core/ops/testdata/parity; the Python and Node suites replay them too).
if command -v python3 >/dev/null; then
	run "parity vectors (ksef_call envelopes = Go's)" python3 "$(dirname "$0")/parity.py" "$BIN/parity_call"
else
	skp "parity vectors (python3 not installed)"
fi

# 4. Against the simulator.
start_sim
if [ -z "$URL" ] || [ -z "$TOKEN" ]; then
	bad "simulator did not start"; cat "$TMP/sim.err"
else
	echo "     simulator at $URL, NIP $NIP"
	run "example token_auth (C)"    $EXEC "$BIN/token_auth" "$URL" "$NIP" "$TOKEN"
	if grep -q "$TOKEN" "$TMP/out"; then bad "token_auth printed the token"; fi
	run "example token_auth (C++)"  $EXEC "$BIN/token_auth_cpp" "$URL" "$NIP" "$TOKEN"
	run "8 threads share one client" $EXEC "$BIN/test_capi" threads "$URL" "$NIP" "$TOKEN"
	run "certificate auth (auth.xades)" $EXEC "$BIN/test_capi" xades "$URL" "$NIP"
	# The main job: two official sample invoices (filled by the simulator's
	# control endpoint) through one online session, by file path.
	for n in 1 2; do
		python3 -c 'import sys,urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1]).read())' \
			"$URL/_sim/samples/fa3?sellerNip=$NIP&number=C-$$-$n" >"$TMP/fa3-$n.xml"
	done
	run "example send_invoice: KSeF numbers and a verified UPO" $EXEC "$BIN/send_invoice" "$URL" "$NIP" "$TOKEN" "$TMP/fa3-1.xml" "$TMP/fa3-2.xml"
	if ! grep -q "2 of 2 invoices in KSeF" "$TMP/out"; then bad "send_invoice: $(tail -3 "$TMP/out")"; fi
	sample() { # sample NAME FILE: a filled official sample from the simulator
		python3 -c 'import sys,urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1]).read())' \
			"$URL/_sim/samples/fa3?sellerNip=$NIP&number=C-$$-$1" >"$2"
	}
	for n in good fresh fresh2 l1 l2 l3 l4; do sample "$n" "$TMP/$n.xml"; done
	sed 's#</P_2>#</P_2><NieMaTakiegoPola>x</NieMaTakiegoPola>#' "$TMP/good.xml" >"$TMP/bad.xml"
	KSEF_TEST_FRESH="$TMP/fresh.xml" KSEF_TEST_FRESH2="$TMP/fresh2.xml" \
		run "online sessions: rejected, duplicate, restored elsewhere, tampered UPO" \
		$EXEC "$BIN/test_capi" sessions "$URL" "$NIP" "$TOKEN" "$TMP/good.xml" "$TMP/bad.xml"
	python3 -c 'import json,sys,urllib.request as u; u.urlopen(u.Request(sys.argv[1]+"/_sim/faults",data=json.dumps({"faults":["POST /sessions/online/{referenceNumber}/invoices#2+=drop-after:count=2"]}).encode(),method="POST",headers={"Content-Type":"application/json"})).read()' "$URL"
	run "lost answers: 4 invoices, 4 KSeF numbers" $EXEC "$BIN/test_capi" lost "$URL" "$NIP" "$TOKEN" "$TMP/l1.xml" "$TMP/l2.xml" "$TMP/l3.xml" "$TMP/l4.xml"
	python3 -c 'import sys,urllib.request as u; u.urlopen(u.Request(sys.argv[1]+"/_sim/faults",method="DELETE")).read()' "$URL"
	# A batch from a directory through the blocking ksef_call: 100 invoices,
	# a duplicate, one the XSD refuses, one refused locally; ZIP and tar.gz,
	# parts small enough for at least three; the UPO verified.
	if command -v python3 >/dev/null; then
		mkdir -p "$TMP/invoices"
		python3 "$(dirname "$0")/batch_check.py" make "$TMP/invoices" "$URL" "$NIP"
		KSEF_BATCH_REPORT="$TMP/zip.json" run "example batch_send (ZIP, directory)" $EXEC "$BIN/batch_send" "$URL" "$NIP" "$TOKEN" "$TMP/invoices" Zip 40000
		run "batch_send ZIP: every document's outcome, >= 3 parts, verified UPO" python3 "$(dirname "$0")/batch_check.py" check "$TMP/zip.json"
		# The same invoices again are all duplicates now; a fresh set for tar.gz.
		rm -rf "$TMP/invoices" && mkdir -p "$TMP/invoices"
		python3 "$(dirname "$0")/batch_check.py" make "$TMP/invoices" "$URL" "$NIP"
		KSEF_BATCH_REPORT="$TMP/tgz.json" run "example batch_send (tar.gz)" $EXEC "$BIN/batch_send" "$URL" "$NIP" "$TOKEN" "$TMP/invoices" TarGz 2000
		run "batch_send tar.gz: every document's outcome, >= 3 parts, verified UPO" python3 "$(dirname "$0")/batch_check.py" check "$TMP/tgz.json"
		# ksef_start_with: the C program performs the HTTP itself, pulling
		# the parts' bodies chunk by chunk ({"streams":true}), and the
		# library doing the I/O with progress reports ({"native":true}).
		for mode in streams native; do
			rm -rf "$TMP/invoices" && mkdir -p "$TMP/invoices"
			python3 "$(dirname "$0")/batch_check.py" make "$TMP/invoices" "$URL" "$NIP"
			run "ksef_start_with $mode: a batch with progress" $EXEC "$BIN/stream_batch" $mode "$URL" "$NIP" "$TOKEN" "$TMP/invoices" 40000
			if [ -n "$SAN_BIN" ]; then
				rm -rf "$TMP/invoices" && mkdir -p "$TMP/invoices"
				python3 "$(dirname "$0")/batch_check.py" make "$TMP/invoices" "$URL" "$NIP"
				run "asan+ubsan: ksef_start_with $mode" "$SAN_BIN/stream_batch" $mode "$URL" "$NIP" "$TOKEN" "$TMP/invoices" 40000
			fi
		done
	else
		skp "batch_send (python3 not installed: it makes the invoices and reads the report)"
	fi
	# Hostile servers (core/ksef/testdata/hostile.json): typed errors in
	# time, peak RSS within the body cap.
	# (Go's code, the same on every architecture: not again under $EXEC,
	# where an emulator's own memory would be measured.)
	if [ -n "$EXEC" ]; then
		skp "hostile-server suite (not under $EXEC)"
	elif command -v python3 >/dev/null; then
		run "hostile-server suite" python3 "$(dirname "$0")/hostile.py" "$BIN/hostile_call" "$URL" "$NIP" "$TOKEN"
	else
		skp "hostile-server suite (python3 not installed)"
	fi
	if [ -n "$SAN_BIN" ]; then
		run "asan+ubsan: token_auth (C)"   "$SAN_BIN/token_auth" "$URL" "$NIP" "$TOKEN"
		run "asan+ubsan: token_auth (C++)" "$SAN_BIN/token_auth_cpp" "$URL" "$NIP" "$TOKEN"
		run "asan+ubsan: 8 threads share one client" "$SAN_BIN/test_capi" threads "$URL" "$NIP" "$TOKEN"
		run "asan+ubsan: certificate auth" "$SAN_BIN/test_capi" xades "$URL" "$NIP"
		for n in s1 s2 good fresh fresh2 l1 l2 l3 l4; do sample "san-$n" "$TMP/san-$n.xml"; done
		sed 's#</P_2>#</P_2><NieMaTakiegoPola>x</NieMaTakiegoPola>#' "$TMP/san-good.xml" >"$TMP/san-bad.xml"
		run "asan+ubsan: send_invoice" "$SAN_BIN/send_invoice" "$URL" "$NIP" "$TOKEN" "$TMP/san-s1.xml" "$TMP/san-s2.xml"
		KSEF_TEST_FRESH="$TMP/san-fresh.xml" KSEF_TEST_FRESH2="$TMP/san-fresh2.xml" \
			run "asan+ubsan: online sessions" "$SAN_BIN/test_capi" sessions "$URL" "$NIP" "$TOKEN" "$TMP/san-good.xml" "$TMP/san-bad.xml"
		python3 -c 'import json,sys,urllib.request as u; u.urlopen(u.Request(sys.argv[1]+"/_sim/faults",data=json.dumps({"faults":["POST /sessions/online/{referenceNumber}/invoices#2+=drop-after:count=2"]}).encode(),method="POST",headers={"Content-Type":"application/json"})).read()' "$URL"
		run "asan+ubsan: lost answers" "$SAN_BIN/test_capi" lost "$URL" "$NIP" "$TOKEN" "$TMP/san-l1.xml" "$TMP/san-l2.xml" "$TMP/san-l3.xml" "$TMP/san-l4.xml"
		python3 -c 'import sys,urllib.request as u; u.urlopen(u.Request(sys.argv[1]+"/_sim/faults",method="DELETE")).read()' "$URL"
		# LeakSanitizer reports any leak at exit: a few cycles are enough.
		run "asan+lsan: no leaks over create/call/free cycles" "$SAN_BIN/test_capi" cycles 5 "$URL" "$NIP" "$TOKEN"
		if KSEF_TEST_LEAK=1 "$SAN_BIN/test_capi" cycles 3 >"$TMP/out" 2>&1; then
			bad "lsan negative control: a deliberate leak went unnoticed"
		elif grep -q "LeakSanitizer: detected memory leaks" "$TMP/out"; then
			ok "lsan negative control: a deliberate leak is caught"
		else
			bad "lsan negative control failed for another reason"; tail -20 "$TMP/out"
		fi
	fi
	if [ -n "$EXEC" ]; then
		skp "valgrind (not under $EXEC)"
	elif command -v valgrind >/dev/null; then
		# Go's runtime leaves "possibly lost" blocks (goroutine stacks,
		# thread-local state) and does its own memory tricks (suppressed in
		# go-runtime.supp); only definite leaks fail.
		VG="valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite --error-exitcode=1 --suppressions=$(dirname "$0")/go-runtime.supp"
		run "valgrind: no definite leaks over create/call/free cycles" \
			$VG "$BIN/test_capi" cycles 30 "$URL" "$NIP" "$TOKEN"
		# Negative control: a forgotten ksef_free must be reported.
		if KSEF_TEST_LEAK=1 $VG "$BIN/test_capi" cycles 3 >"$TMP/out" 2>&1; then
			bad "valgrind negative control: a deliberate leak went unnoticed"
		elif grep -q "definitely lost" "$TMP/out"; then
			ok "valgrind negative control: a deliberate leak is caught"
		else
			bad "valgrind negative control failed for another reason"; tail -20 "$TMP/out"
		fi
	else
		skp "valgrind (not installed)"
	fi
fi

# 5. Invoices out of KSeF, against a simulator with low limits: a query
# truncated at 25 records, export parts of 64 kB.
: >"$TMP/rsim.out"
"$KSEF_SIM" --addr 127.0.0.1:0 --log-level warn --query-limit 25 --export-part-size 64000 --export-delay 20ms \
	--processing-delay 20ms --storage-delay 100ms --hwm-lag 50ms >"$TMP/rsim.out" 2>"$TMP/rsim.err" &
RSIM_PID=$!
i=0
while [ "$(wc -l <"$TMP/rsim.out")" -lt 1 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
RURL=$(sed -n '1s/.* \(http[^ ]*\)$/\1/p' "$TMP/rsim.out")
if [ -z "$RURL" ]; then
	bad "receiving simulator did not start"; cat "$TMP/rsim.err"
else
	# Two parties (seller, buyer), 150 invoices between them stored over the
	# last day (three per instant), and the official sample naming the buyer.
	python3 - "$RURL" >"$TMP/parties" <<'PY'
import json, random, sys, urllib.request as u
url = sys.argv[1]
def post(path, body):
    r = u.Request(url + "/_sim" + path, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"})
    return json.load(u.urlopen(r))
def nip():
    w = (6, 5, 7, 2, 3, 4, 5, 6, 7)
    while True:
        d = [random.randint(1, 9)] + [random.randint(0, 9) for _ in range(8)]
        c = sum(a * b for a, b in zip(d, w)) % 11
        if c != 10 and (d[1] or d[2]):  # KSeF's pattern refuses 0 as both 2nd and 3rd digit
            return "".join(map(str, d)) + str(c)
s, b = nip(), nip()
ts = post("/tokens", {"contextIdentifier": {"type": "Nip", "value": s}})["token"]
tb = post("/tokens", {"contextIdentifier": {"type": "Nip", "value": b}})["token"]
import datetime
start = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=24)).isoformat()
post("/invoices", {"sellerNip": s, "buyerNip": b, "count": 150, "size": 5000, "storedFrom": start, "spacing": "9m", "perInstant": 3})
print(s, ts, b, tb)
PY
	read -r SNIP STOK BNIP BTOK <"$TMP/parties"
	python3 -c 'import sys,urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1]).read())' \
		"$RURL/_sim/samples/fa3?sellerNip=$SNIP&buyerNip=$BNIP&number=C-RECV-$$" >"$TMP/sent.xml"
	mkdir -p "$TMP/recv"
	run "invoices out of KSeF: download, query past truncation, multi-part export" \
		$EXEC "$BIN/receive_invoices" "$RURL" "$SNIP" "$STOK" "$BNIP" "$BTOK" "$TMP/sent.xml" 151 "$TMP/recv"
	python3 -c 'import json,sys,urllib.request as u; u.urlopen(u.Request(sys.argv[1]+"/_sim/faults",data=json.dumps({"faults":["GET /storage#2=part-tamper"]}).encode(),method="POST",headers={"Content-Type":"application/json"})).read()' "$RURL"
	run "a tampered export part is ksef.protocol" $EXEC "$BIN/receive_invoices" tampered "$RURL" "$BNIP" "$BTOK" "$TMP/recv"
	if grep -q "$BTOK" "$TMP/out"; then bad "receive_invoices printed the token"; fi
fi
kill "$RSIM_PID" 2>/dev/null

summary test-c
