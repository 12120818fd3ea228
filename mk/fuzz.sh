#!/bin/sh
# fuzz.sh PACKAGES… — run every Go fuzz target of the packages for
# $FUZZTIME each (go test -fuzz runs one target at a time). Targets are
# discovered with `go test -list '^Fuzz'`, so targets added anywhere are
# included without editing this file. $FUZZJOBS targets run at once, each
# with $FUZZPARALLEL workers (default: one target, GOMAXPROCS workers).
# Full logs go to $FUZZLOG_DIR; a failing input is saved by go test under
# the package's testdata/fuzz/<Target>/ — commit it as a regression seed
# once the bug is fixed.
set -u
GO=${GO:-go}
export GO FUZZTIME=${FUZZTIME:-60s} FUZZLOG_DIR=${FUZZLOG_DIR:-build/fuzz} FUZZPARALLEL=${FUZZPARALLEL:-}
JOBS=${FUZZJOBS:-1}
mkdir -p "$FUZZLOG_DIR"

if [ "${1:-}" = --one ]; then # --one PKG TARGET: run and report one target
	p=$2 t=$3
	log="$FUZZLOG_DIR/$(echo "$p" | tr / _).$t.log"
	par=${FUZZPARALLEL:+-parallel $FUZZPARALLEL}
	# shellcheck disable=SC2086
	if $GO test -run '^$' -fuzz "^$t\$" -fuzztime "$FUZZTIME" $par "$p" >"$log" 2>&1; then res=ok; else res=FAIL; fi
	execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	out=$(printf '%-4s %-48s %-34s %12s execs' "$res" "$p" "$t" "${execs:-?}")
	[ $res = FAIL ] && out="$out
$(grep -v '^fuzz: elapsed' "$log" | tail -20 | sed 's/^/     /')"
	echo "$out"
	[ $res = ok ]
	exit
fi

rm -f "$FUZZLOG_DIR"/*.log
# Only packages whose tests declare a fuzz target need listing.
targets=$($GO list -f '{{.ImportPath}} {{.Dir}}' "$@" | while read -r p d; do
	grep -qs '^func Fuzz' "$d"/*_test.go || continue
	for t in $($GO test -list '^Fuzz' "$p" | grep '^Fuzz'); do echo "$p $t"; done
done)
n=$(echo "$targets" | grep -c .)
echo "$targets" | grep . | xargs -P "$JOBS" -n 2 sh "$0" --one
failed=$(grep -L '^ok' "$FUZZLOG_DIR"/*.log 2>/dev/null | wc -l)
echo "fuzz: $n targets, $failed failed (FUZZTIME=$FUZZTIME; logs in $FUZZLOG_DIR)"
[ "$failed" -eq 0 ]
