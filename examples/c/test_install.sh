#!/bin/sh
# test_install.sh — what `make install` leaves behind, used the way a C/C++
# project would (make test-install runs it).
#
#   test_install.sh PREFIX [STAGE STAGED_PREFIX]
#
# PREFIX holds an installation (make install PREFIX=…): the soname chain, the
# header and ksef.pc must be there, and the C and C++ examples must build with
# `pkg-config --cflags --libs ksef` alone and authenticate against $KSEF_SIM.
# STAGE holds an installation made with DESTDIR=STAGE PREFIX=STAGED_PREFIX:
# the files under STAGE, the paths in ksef.pc those of STAGED_PREFIX.
set -u
P=$1
CC=${CC:-cc}
CXX=${CXX:-c++}
EX=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d)
. "$EX/testlib.sh"
cleanup() { stop_sim; rm -rf "$TMP"; }
trap cleanup EXIT INT TERM

check_tree() { # check_tree ROOT PREFIX: the files of an installation under ROOT, made for PREFIX
	root=$1 prefix=$2 lib=$1$2/lib
	set -- "${root:-$prefix}"  # the name in the messages
	version=$(sed -n 's/^Version: //p' "$lib/pkgconfig/ksef.pc")
	if [ -f "$lib/libksef.so.$version" ] && [ ! -L "$lib/libksef.so.$version" ] &&
		[ "$(readlink "$lib/libksef.so.0")" = "libksef.so.$version" ] &&
		[ "$(readlink "$lib/libksef.so")" = "libksef.so.0" ]; then
		ok "$1: libksef.so -> libksef.so.0 -> libksef.so.$version"
	else
		bad "$1: soname chain"; ls -l "$lib"
	fi
	soname=$(readelf -d "$lib/libksef.so.$version" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
	if [ "$soname" = libksef.so.0 ]; then ok "$1: SONAME libksef.so.0"; else bad "$1: SONAME is '$soname'"; fi
	if cmp -s "$root$prefix/include/ksef.h" "$EX/../../include/ksef.h"; then ok "$1: include/ksef.h"; else bad "$1: include/ksef.h"; fi
	if grep -qx "prefix=$prefix" "$lib/pkgconfig/ksef.pc" && grep -qx 'libdir=${prefix}/lib' "$lib/pkgconfig/ksef.pc" &&
		grep -qx 'includedir=${prefix}/include' "$lib/pkgconfig/ksef.pc"; then
		ok "$1: ksef.pc names $prefix"
	else
		bad "$1: ksef.pc"; cat "$lib/pkgconfig/ksef.pc"
	fi
}

check_tree "" "$P"
if [ $# -ge 3 ]; then check_tree "$2" "$3"; fi

# Build the examples with nothing but what pkg-config says.
flags=$(PKG_CONFIG_PATH="$P/lib/pkgconfig" pkg-config --cflags --libs ksef)
case "$flags" in *"-I$P/include"*"-L$P/lib"*"-lksef"*) ok "pkg-config --cflags --libs ksef: $flags" ;; *) bad "pkg-config: '$flags'" ;; esac
run "token_auth.c builds with pkg-config's flags" $CC -std=c11 -Wall -Werror "$EX/token_auth.c" -o "$TMP/token_auth" $flags
run "token_auth_cpp.cpp builds with pkg-config's flags" $CXX -std=c++17 -Wall -Werror "$EX/token_auth_cpp.cpp" -o "$TMP/token_auth_cpp" $flags
needed=$(readelf -d "$TMP/token_auth" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(libksef[^]]*\)\]/\1/p')
if [ "$needed" = libksef.so.0 ]; then ok "the program needs libksef.so.0"; else bad "the program needs '$needed'"; fi

start_sim
if [ -z "$URL" ]; then
	bad "simulator did not start"; cat "$TMP/sim.err"
else
	run "installed token_auth (C) authenticates"   env LD_LIBRARY_PATH="$P/lib" "$TMP/token_auth" "$URL" "$NIP" "$TOKEN"
	run "installed token_auth_cpp (C++) authenticates" env LD_LIBRARY_PATH="$P/lib" "$TMP/token_auth_cpp" "$URL" "$NIP" "$TOKEN"
fi
summary test-install
