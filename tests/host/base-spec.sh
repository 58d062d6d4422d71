#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# shellcheck disable=SC2016 # jq programs, with jq's own variables, in single quotes
# oci-numa-hook containerd-base-spec: containerd's default spec in, the same
# spec out with the hook at createRuntime and poststart and without what
# containerd's CRI removes from its default (process.rlimits,
# process.apparmorProfile, linux.seccomp); every other byte of meaning kept.
# Bad input: one line, exit 1; --output whole or not at all. Needs jq, not
# root or containerd (a stand-in ctr checks how the command runs it).
set -uo pipefail
. "${NH_SRCDIR:-$(dirname "$0")/../..}/tests/host/lib.sh"

command -v jq >/dev/null || skip_all "jq is not installed"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
HOOK=/usr/libexec/oci/hooks.d/oci-numa-hook
SPEC=$NH_SRCDIR/fuzz/corpus/base_spec/ctr-1.6-k8s-io.json
# one_line_error OUT: exactly one line, the hook's error form.
jqe() { jq -e "$@" >/dev/null; }
one_line_error() { [ "$(grep -c . <<<"$1")" = 1 ] && grep -q '^oci-numa-hook\[-\]: error: containerd-base-spec: ' <<<"$1"; }

run() { # ARGS...: sets out (stdout), errout (stderr), rc
	"$NH_BIN" containerd-base-spec "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out"); errout=$(cat "$tmp/err")
}

# --- a default spec as `ctr oci spec` prints it (containerd 1.6, namespace k8s.io)
run --from "$SPEC" --hook-path "$HOOK"
check "ctr oci spec in: exit 0, nothing on stderr" test "$rc" = 0 -a -z "$errout"
cp "$tmp/out" "$tmp/base.json"
check "the input had RLIMIT_NOFILE 1024:1024" \
	jqe '.process.rlimits == [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]' "$SPEC"
check "process.rlimits is gone" jqe '.process | has("rlimits") | not' "$tmp/base.json"
for stage in createRuntime poststart; do
	check "hooks.$stage is the hook alone (path, args, timeout 60 as the hooks.d files)" \
		jqe --arg p "$HOOK" --arg s "$stage" \
		'.hooks[$s] == [{"path": $p, "args": ["oci-numa-hook", "hook", $s], "timeout": 60}]' "$tmp/base.json"
done
check "no other hook stage" jqe '.hooks | keys == ["createRuntime", "poststart"]' "$tmp/base.json"
a=$(jq -S 'del(.process.rlimits)' "$SPEC"); b=$(jq -S 'del(.hooks)' "$tmp/base.json")
if [ "$a" = "$b" ]; then ok "everything else is identical (jq -S, without rlimits and hooks)"; else
	not_ok "everything else is identical (jq -S, without rlimits and hooks)" "$(diff <(echo "$a") <(echo "$b") | head -n 20)"; fi
check "top-level keys in the input's order, hooks added last" \
	test "$(jq -c 'keys_unsorted' "$SPEC" | sed 's/]$/,"hooks"]/')" = "$(jq -c 'keys_unsorted' "$tmp/base.json")"
check "process keys in the input's order" \
	test "$(jq -c '.process | del(.rlimits) | keys_unsorted' "$SPEC")" = "$(jq -c '.process | keys_unsorted' "$tmp/base.json")"
check "indented like ctr (4 spaces), one final newline" \
	bash -c "grep -q '^    \"ociVersion\": ' '$tmp/base.json' && test \"\$(tail -c 2 '$tmp/base.json' | od -An -c | tr -d ' ')\" = '}\\n'"
run --from "$tmp/base.json" --hook-path "$HOOK"
check "its own output rewritten again: the same bytes" cmp -s "$tmp/out" "$tmp/base.json"
"$NH_BIN" containerd-base-spec --from - --hook-path "$HOOK" <"$SPEC" >"$tmp/stdin.json" 2>&1
check "--from - reads standard input: the same output" cmp -s "$tmp/stdin.json" "$tmp/base.json"
run --from "$SPEC" --hook /opt/bin/oci-numa-hook
check "--hook (an abbreviation of --hook-path) names the path" \
	jqe '[.hooks[][] | .path] == ["/opt/bin/oci-numa-hook", "/opt/bin/oci-numa-hook"]' "$tmp/out"
run --from "$SPEC"
check "default path: the installed hook's" \
	bash -c "jq -e '.hooks.poststart[0].path | endswith(\"/oci/hooks.d/oci-numa-hook\") and startswith(\"/\")' '$tmp/out' >/dev/null"

# --- other hooks, security settings, numbers and escapes
cat >"$tmp/other.json" <<'EOF'
{"ociVersion": "1.1.0", "z": 1.50e3, "big": 18446744073709551616, "neg": -0.0, "s": "\u00e9 \/ <&> \t",
 "process": {"cwd": "/", "apparmorProfile": "cri-containerd.apparmor.d", "rlimits": []},
 "linux": {"seccomp": {"defaultAction": "SCMP_ACT_ERRNO"}, "cgroupsPath": "/k8s.io/"},
 "hooks": {"prestart": [{"path": "/usr/bin/other"}],
           "createRuntime": [{"path": "/usr/bin/nvidia-ctk", "args": ["nvidia-ctk", "hook"]},
                             {"path": "/old/place/oci-numa-hook", "args": ["oci-numa-hook", "hook", "createRuntime"]}]},
 "annotations": {"b": "2", "a": "1"}}
EOF
run --from "$tmp/other.json" --hook-path "$HOOK"
check "other hooks kept in order, an earlier entry of the hook replaced" \
	jqe --arg p "$HOOK" '.hooks.prestart == [{"path": "/usr/bin/other"}] and
		[.hooks.createRuntime[].path] == ["/usr/bin/nvidia-ctk", $p] and
		[.hooks.poststart[].path] == [$p] and (.hooks | keys_unsorted) == ["prestart", "createRuntime", "poststart"]' "$tmp/out"
check "apparmorProfile and seccomp removed (the CRI drops them without a base spec)" \
	jqe '(.process | has("apparmorProfile") or has("rlimits") | not) and (.linux | has("seccomp") | not) and .linux.cgroupsPath == "/k8s.io/"' "$tmp/out"
check "numbers keep their text" \
	bash -c "grep -qF '\"z\": 1.50e3,' '$tmp/out' && grep -qF '\"big\": 18446744073709551616,' '$tmp/out' && grep -qF '\"neg\": -0.0,' '$tmp/out'"
check "strings and object key order kept" \
	jqe '.s == "é / <&> \t" and (.annotations | keys_unsorted) == ["b", "a"]' "$tmp/out"

# --- bad input: one line, exit 1, nothing on stdout
bad() { # NAME TEXT PATTERN
	printf '%s' "$2" >"$tmp/bad.json"
	run --from "$tmp/bad.json"
	if [ "$rc" = 1 ] && [ -z "$out" ] && one_line_error "$errout" && grep -qF -- "$3" <<<"$errout"; then
		ok "refuses $1 (exit 1, one line)"
	else
		not_ok "refuses $1 (exit 1, one line)" "exit $rc, stdout ${#out} bytes, stderr: $errout"
	fi
}
bad "JSON cut short" '{"ociVersion": "1.1.0", "process": {' "is not valid JSON: parse error: premature EOF"
bad "text that is not JSON" 'RLIMIT_NOFILE 1024' "is not valid JSON"
bad "an empty file" '' "is not valid JSON"
bad "a JSON array" '[{"ociVersion": "1.1.0"}]' "is not a JSON object"
bad "an object without ociVersion" '{}' 'is not an OCI runtime spec (no string "ociVersion")'
bad "a duplicate key" '{"ociVersion": "1.1.0", "hooks": {}, "hooks": {}}' 'duplicate key "hooks"'
bad "hooks that are not an object" '{"ociVersion": "1.1.0", "hooks": []}' '"hooks" is not an object'
bad "a stage that is not an array" '{"ociVersion": "1.1.0", "hooks": {"poststart": {}}}' '"hooks.poststart" is not an array'
bad "a comment" '{"ociVersion": "1.1.0"} // x' "comments are not JSON"
bad "trailing text" '{"ociVersion": "1.1.0"} {}' "trailing garbage"
head -c $((4 * 1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$tmp/big.json"
run --from "$tmp/big.json"
check "refuses more than 4 MiB (exit 1, one line)" bash -c "test $rc = 1 && grep -q 'larger than 4194304 bytes' '$tmp/err' && test \$(grep -c . '$tmp/err') = 1"
run --from "$tmp/no-such-file.json"
check "a missing --from file: exit 1, one line naming it" \
	bash -c "test $rc = 1 && test -z '$out' && grep -qF 'cannot open $tmp/no-such-file.json: No such file or directory' '$tmp/err' && test \$(grep -c . '$tmp/err') = 1"
run --from "$tmp"
check "a directory as --from: exit 1, not a regular file" bash -c "test $rc = 1 && grep -q 'is not a regular file' '$tmp/err'"
run --from "$SPEC" --hook-path relative/hook
check "a relative --hook-path: exit 1" bash -c "test $rc = 1 && grep -q 'must be absolute' '$tmp/err'"
run --from "$SPEC" --bogus
check "an unknown option: exit 1" bash -c "test $rc = 1 && grep -q 'unknown option' '$tmp/err'"
run --from "$SPEC" extra
check "an extra argument: exit 1" bash -c "test $rc = 1 && grep -q 'unexpected argument extra' '$tmp/err'"

# --- --output: whole or not at all
run --from "$SPEC" --hook-path "$HOOK" -o "$tmp/written.json"
check "-o FILE: exit 0, nothing on stdout, the same text as stdout" \
	bash -c "test $rc = 0 && test -z '$out' && cmp -s '$tmp/written.json' '$tmp/base.json'"
check "-o FILE: mode 0644" test "$(stat -c %a "$tmp/written.json")" = 644
ino=$(stat -c %i "$tmp/written.json")
run --from "$SPEC" --hook-path /other/oci-numa-hook --output "$tmp/written.json"
check "--output over an existing file: a new file renamed over it (another inode)" \
	test "$rc" = 0 -a "$(stat -c %i "$tmp/written.json")" != "$ino"
cp "$tmp/written.json" "$tmp/before.json"
printf '{"ociVersion": ' >"$tmp/bad.json"
run --from "$tmp/bad.json" -o "$tmp/written.json"
check "bad input with -o: exit 1, the file untouched" \
	bash -c "test $rc = 1 && cmp -s '$tmp/written.json' '$tmp/before.json'"
check "no temporary file left beside it" test "$(find "$tmp" -maxdepth 1 -name 'written.json.*' | wc -l)" = 0
run --from "$SPEC" -o "$tmp/no-such-dir/base.json"
check "-o into a missing directory: exit 2, one line" \
	bash -c "test $rc = 2 && grep -q 'cannot create a file beside $tmp/no-such-dir/base.json' '$tmp/err' && test \$(grep -c . '$tmp/err') = 1"

# --- without --from: ctr, found in PATH (a stand-in that records its arguments)
mkdir -p "$tmp/bin"
cat >"$tmp/bin/ctr" <<EOF
#!/bin/sh
echo "\$@" >"$tmp/ctr-args"
[ -n "\${FAKE_CTR_FAIL:-}" ] && { echo "ctr: failed" >&2; exit 3; }
cat "$SPEC"
EOF
chmod +x "$tmp/bin/ctr"
PATH=$tmp/bin:$PATH "$NH_BIN" containerd-base-spec --hook-path "$HOOK" >"$tmp/out" 2>"$tmp/err"; rc=$?
check "no --from: runs 'ctr --namespace k8s.io oci spec'" test "$(cat "$tmp/ctr-args" 2>/dev/null)" = "--namespace k8s.io oci spec"
check "no --from: the same output as from the file" bash -c "test $rc = 0 && cmp -s '$tmp/out' '$tmp/base.json'"
PATH=$tmp/bin:$PATH FAKE_CTR_FAIL=1 "$NH_BIN" containerd-base-spec >"$tmp/out" 2>"$tmp/err"; rc=$?
check "ctr failing: exit 2 naming its status, nothing on stdout" \
	bash -c "test $rc = 2 && test ! -s '$tmp/out' && grep -q 'ctr oci spec. exited with status 3' '$tmp/err'"
PATH=$tmp/none "$NH_BIN" containerd-base-spec >"$tmp/out" 2>"$tmp/err"; rc=$?
if [ "$rc" = 2 ] && one_line_error "$(cat "$tmp/err")" && grep -q 'ctr (containerd.s client) is not in PATH; give containerd.s default spec with --from FILE' "$tmp/err"; then
	ok "no ctr in PATH: exit 2, one line saying to use --from"
else
	not_ok "no ctr in PATH: exit 2, one line saying to use --from" "exit $rc: $(cat "$tmp/err")"
fi

"$NH_BIN" containerd-base-spec --help >"$tmp/help" 2>&1; rc=$?
check "containerd-base-spec --help: exit 0 with its usage" \
	bash -c "test $rc = 0 && grep -q '^Usage: oci-numa-hook containerd-base-spec' '$tmp/help'"
tap_end
