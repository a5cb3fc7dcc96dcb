#!/bin/bash
# Print the delta between every function the mirror copies and the original
# in the kernel tree it mirrors.
# usage: klp-diff.sh KERNEL_TREE [SERIES]
# Exit status: 0 when every copied function was found in both files.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
tree=${1:?usage: klp-diff.sh KERNEL_TREE [SERIES]}
series=${2:-$(make -s -C "$tree" kernelversion 2>/dev/null | cut -d. -f1,2)}
mirror=$top/src/kernel-$series/vtc_arch_timer.c
orig_rel=$(sed -n 's/^ \* vtimer-cache mirror of \(.*\)$/\1/p' "$mirror")
orig=$tree/$orig_rel
[ -f "$mirror" ] || { echo "klp-diff: no mirror for series $series" >&2; exit 1; }
[ -f "$orig" ] || { echo "klp-diff: $orig not found" >&2; exit 1; }

# Function NAME's definition in the original: from its first line at
# column 0 to the closing brace at column 0.
extract_orig() {
	awk -v f="$1" '
		!cand && !on && $0 ~ "^[a-z].*[ *]" f "\\(" { cand = 1; buf = "" }
		cand && !on {
			buf = buf $0 "\n"
			if ($0 ~ /;$/) { cand = 0; next }	# a declaration
			if ($0 == "{") { on = 1; printf "%s", buf }
			next
		}
		on { print }
		on && /^}/ { exit }' "$orig"
}

extract_mirror() {
	awk -v f="$1" '
		$0 == "/* VTC-MIRROR BEGIN " f " */" { on = 1; next }
		on && $0 == "/* VTC-MIRROR END */" { exit }
		on { print }' "$mirror"
}

echo "mirror: src/kernel-$series/vtc_arch_timer.c"
echo "original: $orig_rel in $tree"
rc=0
for f in $(sed -n 's|^/\* VTC-MIRROR BEGIN \(.*\) \*/$|\1|p' "$mirror"); do
	a=$(mktemp) b=$(mktemp)
	extract_orig "$f" >"$a"
	extract_mirror "$f" >"$b"
	if [ ! -s "$a" ]; then
		echo "=== $f: NOT FOUND in the original"
		rc=1
	elif cmp -s "$a" "$b"; then
		echo "=== $f: identical"
	else
		echo "=== $f: $(diff "$a" "$b" | grep -c '^[<>]') lines differ"
		diff -u --label "a/$orig_rel:$f" --label "b/src/kernel-$series/vtc_arch_timer.c:$f" "$a" "$b" || true
	fi
	rm -f "$a" "$b"
done
exit $rc
