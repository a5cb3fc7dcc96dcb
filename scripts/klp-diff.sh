#!/bin/bash
# Print the delta between every function the mirror copies and the original
# in the kernel tree it mirrors.
# usage: klp-diff.sh KERNEL_TREE [SERIES]
# Exit status: 0 when every copied function was found in both files.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
tree=${1:?usage: klp-diff.sh KERNEL_TREE [SERIES]}
kver=$(make -s -C "$tree" kernelversion 2>/dev/null || true)
series=${2:-$(echo "$kver" | cut -d. -f1,2)}
mirror=$top/src/kernel-$series/vtc_arch_timer.c
[ -f "$mirror" ] || { echo "klp-diff: no mirror for series $series" >&2; exit 1; }
orig_rel=$(sed -n 's/^ \* vtimer-cache mirror of \(.*\)$/\1/p' "$mirror")
orig=$tree/$orig_rel
[ -f "$orig" ] || { echo "klp-diff: $orig not found" >&2; exit 1; }
# The copies are only meaningful against the release they were taken from:
# a tree of another release (or another series, given explicitly) would
# show a delta that is not the one the module carries.
mirror_ver=$(sed -n 's/^ \* Release: Linux \([^ ]*\) .*/\1/p' "$mirror")

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
echo "release: mirror $mirror_ver, tree ${kver:-unknown}"
rc=0
if [ "$mirror_ver" != "$kver" ]; then
	echo "klp-diff: release mismatch: the mirror copies Linux $mirror_ver, the tree is ${kver:-unknown}"
	rc=1
fi
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
