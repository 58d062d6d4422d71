#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Hostile-input matrix: runs the hook as a runtime would
#   env -i oci-numa-hook hook poststart --config CFG < input
# (empty environment, cwd a bundle-like directory) for every case of a table,
# and checks the exact exit status, that stderr holds exactly one line naming
# what was wrong (a distinctive substring), that stdout stays empty, that the
# run ends within 10 s, and that it neither dies of a signal nor prints
# sanitizer reports.
#
#   matrix.sh --hook PATH [--keep]
#
# One line per case on stdout: PASS: hostile/<name>, FAIL: hostile/<name> — why
# or SKIP: hostile/<name> — reason. Exits 1 if any case failed.
#
# Cases that need a live container process create a cpuset cgroup named after
# the container id (cgroup v1 cpuset hierarchy on v1/hybrid hosts, else the
# cgroup v2 root), put a sleep in it and remove both on exit. That needs root.
set -euo pipefail

TIMEOUT=10

# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
hostile_args matrix.sh "$@"
hostile_setup hostile

# Admin configurations.
: >"$CFG/empty.conf"
printf 'colour = blue\n' >"$CFG/unknown-key.conf"
printf 'max-rounds = 0\n' >"$CFG/bad-value.conf"
printf 'allowed-nodes\n' >"$CFG/no-equals.conf"
printf 'log-level = info\0\n' >"$CFG/nul.conf"
printf '\033[2Jkey =\n' >"$CFG/escape-key.conf"
printf 'allowed-nodes = 1\n' >"$CFG/allowed-1.conf"
printf 'allow-annotation-override = none\n' >"$CFG/override-none.conf"
printf 'default-on-error = warn\n' >"$CFG/default-warn.conf"
{ printf '# padding\n'; repeat "# $(repeat x 98)"$'\n' 700; } >"$CFG/huge.conf"
mkdir "$CFG/directory.conf"
mkfifo "$CFG/fifo.conf"
printf 'log-level = info\n' >"$CFG/mode000.conf"
chmod 000 "$CFG/mode000.conf"

# ------------------------------------------------------------------ runner --

FAILED=0

# check NAME WANT_STATUS MATCH INPUT CONFIG [RUNNER...]
#   MATCH "-": no output at all; otherwise a substring of the one stderr line.
#   INPUT: file for stdin, or "closed" (stdin closed) or "dir" (a directory).
check() {
	local name=$1 want=$2 match=$3 input=$4 config=$5
	shift 5
	local out=$TMP/out.$name err=$TMP/err.$name rc=0 lines why=
	local -a cmd=(env -i "$@" "$HOOK" hook poststart --config "$config")

	case "$input" in
	closed) (cd "$BUNDLE" && exec timeout "$TIMEOUT" "${cmd[@]}" <&- >"$out" 2>"$err") || rc=$? ;;
	dir) (cd "$BUNDLE" && exec timeout "$TIMEOUT" "${cmd[@]}" <"$TMP" >"$out" 2>"$err") || rc=$? ;;
	*) (cd "$BUNDLE" && exec timeout "$TIMEOUT" "${cmd[@]}" <"$input" >"$out" 2>"$err") || rc=$? ;;
	esac
	lines=$(wc -l <"$err")
	if [ "$rc" -eq 124 ]; then
		why="no result within ${TIMEOUT}s"
	elif [ "$rc" -ge 128 ]; then
		why="killed by signal $((rc - 128))"
	elif grep -qE 'Sanitizer|runtime error:|==[0-9]+==' "$err"; then
		why="sanitizer report: $(grep -m1 -E 'Sanitizer|runtime error:|==[0-9]+==' "$err")"
	elif [ "$rc" -ne "$want" ]; then
		why="exit status $rc, expected $want; stderr: $(head -c 300 "$err" | tr '\n' '|')"
	elif [ -s "$out" ]; then
		why="wrote to stdout: $(head -c 200 "$out" | tr '\n' '|')"
	elif [ "$match" = - ]; then
		[ -s "$err" ] && why="expected no output, got: $(head -c 300 "$err" | tr '\n' '|')"
	elif [ "$lines" -ne 1 ] || [ "$(tail -c 1 "$err" | od -An -c | tr -d ' ')" != '\n' ]; then
		why="expected exactly one stderr line, got $lines: $(head -c 400 "$err" | tr '\n' '|')"
	elif LC_ALL=C grep -q '[^[:print:]]' "$err"; then
		why="stderr has control or non-ASCII bytes: $(od -c "$err" | head -n 3 | tr '\n' ' ')"
	elif ! grep -qE '^oci-numa-hook\[[^]]+\]: (error|warn|info): ' "$err"; then
		why="not a log line: $(head -c 300 "$err")"
	elif ! grep -qF -- "$match" "$err"; then
		why="stderr does not mention \"$match\": $(head -c 300 "$err")"
	fi
	if [ -n "$why" ]; then
		echo "FAIL: hostile/$name — $why"
		FAILED=1
	else
		echo "PASS: hostile/$name"
	fi
}

skip() { echo "SKIP: hostile/$1 — $2"; }

# needs_cgroup NAME: print SKIP and return 1 when there is no test cgroup.
needs_cgroup() {
	if [ -n "$CG_SKIP" ]; then
		skip "$1" "$CG_SKIP"
		return 1
	fi
}

# inp NAME: the input file of case NAME (written by the caller).
inp() { echo "$IN/$1"; }

E=$CFG/empty.conf

# ------------------------------------------------------------------- stdin --

: >"$(inp stdin-empty)"
check stdin-empty 1 'is empty' "$(inp stdin-empty)" "$E"
printf ' \n\t\r\n  ' >"$(inp stdin-whitespace)"
check stdin-whitespace 1 'is empty' "$(inp stdin-whitespace)" "$E"
check stdin-closed 1 'cannot read the OCI state' closed "$E"
check stdin-directory 1 'cannot read the OCI state' dir "$E"
printf 'hello, hook' >"$(inp stdin-not-json)"
check stdin-not-json 1 'not valid JSON' "$(inp stdin-not-json)" "$E"
nodes 1 | head -c 60 >"$(inp stdin-truncated)"
check stdin-truncated 1 'not valid JSON' "$(inp stdin-truncated)" "$E"
printf '[1,2,3]' >"$(inp stdin-array)"
check stdin-array 1 'not a JSON object' "$(inp stdin-array)" "$E"
{ nodes 1; head -c $((2 * 1024 * 1024)) /dev/zero | tr '\0' ' '; } >"$(inp stdin-2mib)"
check stdin-2mib 1 'larger than 1048576 bytes' "$(inp stdin-2mib)" "$E"
{ printf '{"a":'; repeat '[' 10000; repeat ']' 10000; printf '}'; } >"$(inp stdin-deep-10000)"
check stdin-deep-10000 1 'nested deeper than' "$(inp stdin-deep-10000)" "$E"
# Nesting hidden behind a comment holding a quote (crashed yajl_tree_free).
{ printf '{"a":/* " */'; repeat '[' 400000; repeat ']' 400000; printf '/* " */}'; } \
	>"$(inp stdin-comment-hides-nesting)"
check stdin-comment-hides-nesting 1 'comments are not JSON' "$(inp stdin-comment-hides-nesting)" "$E"
{ printf '{"id":"a\0b",'; nodes 1 | cut -c2-; } >"$(inp stdin-nul-byte)"
check stdin-nul-byte 1 'NUL byte' "$(inp stdin-nul-byte)" "$E"
printf '{"id":"\xff\xfe","pid":1,"annotations":{"oci-numa-hook/nodes":"1"}}' >"$(inp stdin-invalid-utf8)"
check stdin-invalid-utf8 1 'UTF8' "$(inp stdin-invalid-utf8)" "$E"
printf '{"id":"%s","pid":%s,"pid":1,"annotations":{"oci-numa-hook/nodes":"0"}}' "$ID" "$CPID" \
	>"$(inp dup-key-pid)"
check dup-key-pid 1 '"pid" is given twice' "$(inp dup-key-pid)" "$E"
state "$CPID" '"oci-numa-hook/nodes":"0","oci-numa-hook/nodes":"1"' >"$(inp dup-annotation)"
check dup-annotation 1 'annotation "oci-numa-hook/nodes" is given twice' "$(inp dup-annotation)" "$E"
# An endless stream: refused at the limit, not read to the end.
check stdin-endless-zeros 1 'larger than 1048576 bytes' /dev/zero "$E"
# Control bytes in the id and in an annotation key stay out of the log line.
nodes 7 '' $'\\u001b[2J\\u0007evil' >"$(inp id-escape-sequence)"
check id-escape-sequence 1 'node 7 is not online' "$(inp id-escape-sequence)" "$E"
nodes 0 '"oci-numa-hook/\\u001b[31m":"1"' >"$(inp annotation-key-escape)"
check annotation-key-escape 1 'unknown annotation' "$(inp annotation-key-escape)" "$E"
# Many unrelated top-level keys and no request: nothing to do, quickly. (Not
# more: yajl_tree grows its key array one entry at a time, which is quadratic
# under AddressSanitizer, whose realloc always copies.)
{ printf '{"id":"%s"' "$ID"; for i in $(seq 1 2000); do printf ',"k%d":%d' "$i" "$i"; done; printf '}'; } \
	>"$(inp many-keys-no-request)"
check many-keys-no-request 0 - "$(inp many-keys-no-request)" "$E"
{ printf '{"id":"%s","pid":%s,"annotations":{"oci-numa-hook/nodes":"0"' "$ID" "$CPID"
	for i in $(seq 1 100); do printf ',"oci-numa-hook/x%d":"1"' "$i"; done; printf '}}'; } \
	>"$(inp many-annotations)"
check many-annotations 1 'more than 64 annotations' "$(inp many-annotations)" "$E"
# ... with "nodes" last, past the 64 kept: still found, still refused.
{ printf '{"id":"%s","pid":%s,"annotations":{' "$ID" "$CPID"
	for i in $(seq 1 100); do printf '"oci-numa-hook/x%d":"1",' "$i"; done
	printf '"oci-numa-hook/nodes":"0"}}'; } >"$(inp many-annotations-nodes-last)"
check many-annotations-nodes-last 1 'more than 64 annotations' "$(inp many-annotations-nodes-last)" "$E"
# ... and without "nodes" no request at all: nothing to do.
{ printf '{"id":"%s","pid":%s,"annotations":{' "$ID" "$CPID"
	for i in $(seq 1 100); do printf '"oci-numa-hook/x%d":"1",' "$i"; done
	printf '"io.other":"1"}}'; } >"$(inp many-annotations-no-request)"
check many-annotations-no-request 0 - "$(inp many-annotations-no-request)" "$E"

# ------------------------------------------------------------ state types --

for c in 'pid-string:"12":is not an integer' 'pid-1e99:1e99:is not an integer' \
	'pid-negative:-5:out of range' 'pid-zero:0:has no "pid"' \
	'pid-2147483648:2147483648:out of range' 'pid-float:12.5:is not an integer' \
	'pid-null:null:is not an integer'; do
	IFS=: read -r name value match <<<"$c"
	state "$value" '"oci-numa-hook/nodes":"0"' >"$(inp "$name")"
	check "$name" 1 "$match" "$(inp "$name")" "$E"
done
printf '{"id":"%s","pid":%s,"annotations":["oci-numa-hook/nodes","0"]}' "$ID" "$CPID" \
	>"$(inp annotations-array)"
check annotations-array 1 '"annotations" is not an object' "$(inp annotations-array)" "$E"
printf '{"id":"%s","pid":%s,"annotations":"oci-numa-hook/nodes=0"}' "$ID" "$CPID" \
	>"$(inp annotations-string)"
check annotations-string 1 '"annotations" is not an object' "$(inp annotations-string)" "$E"
printf '{"id":"%s","pid":%s,"annotations":{"oci-numa-hook/nodes":0}}' "$ID" "$CPID" \
	>"$(inp annotation-not-string)"
check annotation-not-string 1 'is not a string' "$(inp annotation-not-string)" "$E"
printf '{"id":["x"],"pid":%s,"annotations":{"oci-numa-hook/nodes":"0"}}' "$CPID" >"$(inp id-not-string)"
check id-not-string 1 '"id" is not a string' "$(inp id-not-string)" "$E"

# ------------------------------------------------------------- annotations --

# No request at all: exit 0 and not a byte of output.
state "$CPID" '"io.container.manager":"libpod"' >"$(inp no-annotation)"
check no-annotation 0 - "$(inp no-annotation)" "$E"
printf '{"ociVersion":"1.0.2","id":"%s","status":"created","pid":%s,"bundle":"/b"}' "$ID" "$CPID" \
	>"$(inp no-annotations-object)"
check no-annotations-object 0 - "$(inp no-annotations-object)" "$E"
state "$CPID" '"oci-numa-hook/mems":"keep","oci-numa-hook/from":"0"' >"$(inp other-keys-without-nodes)"
check other-keys-without-nodes 0 - "$(inp other-keys-without-nodes)" "$E"

while IFS='|' read -r name value match; do
	[ -n "$name" ] || continue
	nodes "$value" >"$(inp "$name")"
	check "$name" 1 "$match" "$(inp "$name")" "$E"
done <<'EOF'
nodes-0-99999999999|0-99999999999|out of range
nodes-1,,2|1,,2|empty item
nodes-minus-1|-1|empty item
nodes-reversed-1-0|1-0|reversed
nodes-leading-space| 1|is not a number
nodes-0x1|0x1|is not a number
nodes-1-space-2|1 2|is not a number
nodes-1024|1024|out of range
nodes-leading-zero|01|leading zero
nodes-listed-twice|1,1|listed twice
nodes-trailing-comma|0,|empty item
nodes-unicode|\u00b9|is not a number
nodes-control|1\n|is not a number
nodes-empty||has an empty value
nodes-node-7|7|node 7 is not online
EOF

nodes "$(seq -s, 0 9999)" >"$(inp nodes-10000-items)"
check nodes-10000-items 1 'is too long' "$(inp nodes-10000-items)" "$E"
# The longest valid list syntax (1,2,...,1022: 4000 bytes), nodes offline here.
nodes "$(seq -s, 1 1022)" >"$(inp nodes-1022-items)"
check nodes-1022-items 1 'is not online' "$(inp nodes-1022-items)" "$E"
# A 1 MB value: the state stays below the 1 MiB stdin limit, the value does not.
nodes "$(head -c 1000000 /dev/zero | tr '\0' 1)" >"$(inp nodes-1mb-value)"
check nodes-1mb-value 1 'value of 1000000 bytes is too long' "$(inp nodes-1mb-value)" "$E"

while IFS='|' read -r name extra match; do
	[ -n "$name" ] || continue
	nodes 0 "$extra" >"$(inp "$name")"
	check "$name" 1 "$match" "$(inp "$name")" "$E"
done <<'EOF'
engine-unknown|"oci-numa-hook/engine":"turbo"|oci-numa-hook/engine="turbo"
mems-unknown|"oci-numa-hook/mems":"both"|oci-numa-hook/mems="both"
on-error-unknown|"oci-numa-hook/on-error":"ignore"|oci-numa-hook/on-error="ignore"
from-bad-list|"oci-numa-hook/from":"0-"|annotation oci-numa-hook/from
from-node-7|"oci-numa-hook/from":"7"|from: node 7 is not online
from-empty|"oci-numa-hook/from":""|oci-numa-hook/from has an empty value
mems-empty|"oci-numa-hook/mems":""|oci-numa-hook/mems has an empty value
on-error-empty|"oci-numa-hook/on-error":""|oci-numa-hook/on-error has an empty value
engine-empty|"oci-numa-hook/engine":""|oci-numa-hook/engine has an empty value
unknown-key|"oci-numa-hook/colour":"blue"|unknown annotation oci-numa-hook/colour
unknown-key-empty-value|"oci-numa-hook/colour":""|oci-numa-hook/colour
EOF

# ----------------------------------------------------- process and cgroup --

state "$DEADPID" '"oci-numa-hook/nodes":"0"' >"$(inp pid-exited)"
check pid-exited 2 "process $DEADPID does not exist" "$(inp pid-exited)" "$E"
printf '{"ociVersion":"1.0.2","id":"%s","status":"stopped","bundle":"/b","annotations":{"oci-numa-hook/nodes":"0"}}' \
	"$ID" >"$(inp pid-missing)"
check pid-missing 1 'has no "pid"' "$(inp pid-missing)" "$E"
if needs_cgroup pid-root-cgroup; then
	state "$ROOTSLEEPER" '"oci-numa-hook/nodes":"0"' >"$(inp pid-root-cgroup)"
	check pid-root-cgroup 1 'root cgroup' "$(inp pid-root-cgroup)" "$E"
fi
# A kernel thread (kthreadd) lives in the root cgroup.
state 2 '"oci-numa-hook/nodes":"0"' >"$(inp pid-kernel-thread)"
check pid-kernel-thread 1 'root cgroup' "$(inp pid-kernel-thread)" "$E"
if needs_cgroup pid-other-container; then
	state "$CPID" '"oci-numa-hook/nodes":"0"' someone-else >"$(inp pid-other-container)"
	check pid-other-container 1 'does not name container someone-else' \
		"$(inp pid-other-container)" "$E"
fi
if needs_cgroup success; then
	nodes 0 >"$(inp success)"
	check success 0 'summary stage=poststart' "$(inp success)" "$E"
	check success-no-config 0 'summary stage=poststart' "$(inp success)" "$CFG/does-not-exist.conf"
	nodes 7 '"oci-numa-hook/on-error":"warn"' >"$(inp on-error-warn)"
	check on-error-warn 0 'on-error=warn' "$(inp on-error-warn)" "$E"
	nodes 0 '"oci-numa-hook/mems":"keep"' >"$(inp mems-keep)"
	check mems-keep 0 'mems=keep' "$(inp mems-keep)" "$E"
fi

# ------------------------------------------------------------ admin config --

nodes 0 >"$(inp cfg)"
check config-unknown-key 1 'unknown key "colour"' "$(inp cfg)" "$CFG/unknown-key.conf"
check config-bad-value 1 'max-rounds = "0"' "$(inp cfg)" "$CFG/bad-value.conf"
check config-no-equals 1 'expected "key = value"' "$(inp cfg)" "$CFG/no-equals.conf"
check config-nul-byte 1 'contains a NUL byte' "$(inp cfg)" "$CFG/nul.conf"
check config-escape-in-key 1 'has an empty value' "$(inp cfg)" "$CFG/escape-key.conf"
check config-directory 1 'is not a regular file' "$(inp cfg)" "$CFG/directory.conf"
check config-fifo 1 'is not a regular file' "$(inp cfg)" "$CFG/fifo.conf"
check config-huge 1 'is larger than' "$(inp cfg)" "$CFG/huge.conf"
# Unreadable although open() works: read() of /proc/self/mem at offset 0 fails.
check config-read-error 2 'cannot read config' "$(inp cfg)" /proc/self/mem
# chmod 000 does not stop root; without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH it does.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null &&
	setpriv --inh-caps=-dac_override,-dac_read_search \
		--bounding-set=-dac_override,-dac_read_search true 2>/dev/null; then
	check config-permission-denied 2 'Permission denied' "$(inp cfg)" "$CFG/mode000.conf" \
		"$(command -v setpriv)" --inh-caps=-dac_override,-dac_read_search \
		--bounding-set=-dac_override,-dac_read_search
else
	skip config-permission-denied "needs root and setpriv to drop CAP_DAC_OVERRIDE"
fi
check config-node-not-allowed 1 'not allowed by the admin' "$(inp cfg)" "$CFG/allowed-1.conf"
nodes 0 '"oci-numa-hook/mems":"keep"' >"$(inp cfg-override)"
check config-override-refused 1 'allow-annotation-override' "$(inp cfg-override)" \
	"$CFG/override-none.conf"
# A bad config is not read at all when nothing is asked.
check config-ignored-without-request 0 - "$(inp no-annotation)" "$CFG/unknown-key.conf"

exit "$FAILED"
