#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The manual pages render without a warning (groff -ww, man --warnings) and
# have a NAME line that whatis/apropos can index. TAP output, one case per
# page and check. NH_SRCDIR: the source tree (default: relative to here).
set -euo pipefail
src=${NH_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
pages=("$src/doc/man/oci-numa-hook.1" "$src/doc/man/oci-numa-hook.conf.5")
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; shift; printf '#   %s\n' "$@"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

for page in "${pages[@]}"; do
	name=$(basename "$page")
	if ! command -v groff >/dev/null; then
		skip "man/$name groff -ww" "groff not installed (Debian package groff-base)"
	elif out=$(LC_ALL=C.UTF-8 groff -man -ww -z "$page" 2>&1) && [ -z "$out" ]; then
		ok "man/$name groff -ww"
	else
		not_ok "man/$name groff -ww" "$out"
	fi
	if ! command -v man >/dev/null; then
		skip "man/$name man --warnings" "man not installed (Debian package man-db)"
	elif out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null) && [ -z "$out" ]; then
		ok "man/$name man --warnings"
	else
		not_ok "man/$name man --warnings" "$out"
	fi
	if command -v lexgrog >/dev/null; then
		if out=$(lexgrog "$page" 2>&1) && [[ $out == *": \"oci"*" - "* ]]; then
			ok "man/$name NAME line"
		else
			not_ok "man/$name NAME line" "lexgrog: $out"
		fi
	else
		skip "man/$name NAME line" "lexgrog not installed (Debian package man-db)"
	fi
done

# Every command of `oci-numa-hook --help` (the table in main.c) has a
# SYNOPSIS line and an entry under COMMANDS in oci-numa-hook(1).
page=$src/doc/man/oci-numa-hook.1
commands=$(sed -n '/^} commands\[\] = {/,/^};/s/^\t{ "\([a-z-]*\)",$/\1/p' "$src/main.c")
if [ -z "$commands" ]; then
	not_ok "man/oci-numa-hook.1 documents every command" "no command table found in main.c"
fi
for c in $commands; do
	roff=${c//-/\\-}
	synopsis=$(sed -n '/^\.SH SYNOPSIS/,/^\.SH /p' "$page" | grep -cxF ".B $roff" || true)
	entry=$(sed -n '/^\.SH COMMANDS/,/^\.SH /p' "$page" | grep -A1 -xF '.TP' | grep -cE "^\.BI? \"?$(printf '%s' "$roff" | sed 's/\\/\\\\/g')( |\"|$)" || true)
	if [ "$synopsis" -ge 1 ] && [ "$entry" -ge 1 ]; then
		ok "man/oci-numa-hook.1 documents the command $c"
	else
		not_ok "man/oci-numa-hook.1 documents the command $c" "SYNOPSIS lines: $synopsis, COMMANDS entries: $entry"
	fi
done
echo "1..$n"
