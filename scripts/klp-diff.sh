#!/bin/bash
# Print the delta between every function the mirrors copy and the original
# in the kernel tree they mirror: for the tree's release, each mirror file
# src/mirror/releases lists for it, each VTC-MIRROR block in that file
# against the function of that name in the kernel source file the mirror's
# header names ("vtimer-cache mirror of PATH"), or the block itself
# ("VTC-MIRROR BEGIN NAME PATH", a helper from another file).
# usage: klp-diff.sh KERNEL_TREE [SERIES]
# Exit status: 0 when the tree is the mirrored release and every copied
# function was found in both files.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
tree=${1:?usage: klp-diff.sh KERNEL_TREE [SERIES]}
kver=$(make -s -C "$tree" kernelversion 2>/dev/null || true)
series=${2:-$(echo "$kver" | cut -d. -f1,2)}
releases=$top/src/mirror/releases
# The tree's own release's line, or (a series given, or the release not
# mirrored) the series' last one.
line=''
[ -n "${2:-}" ] || line=$(awk -v r="$kver" '!/^#/ && $1 == r' "$releases")
[ -n "$line" ] || line=$(awk -v s="$series" '!/^#/ && index($1, s ".") == 1' "$releases" | tail -n 1)
[ -n "$line" ] || { echo "klp-diff: no mirror for series $series in src/mirror/releases" >&2; exit 1; }
# shellcheck disable=SC2086 # a list of words
set -- $line
mirror_ver=$1
shift

# Function NAME's definition in FILE: from its first line at column 0 to
# the closing brace at column 0.
extract_orig() {
	awk -v f="$2" '
		!cand && !on && $0 ~ "^[a-z].*[ *]" f "\\(" { cand = 1; buf = "" }
		cand && !on {
			buf = buf $0 "\n"
			if ($0 ~ /;$/) { cand = 0; next }	# a declaration
			if ($0 == "{") { on = 1; printf "%s", buf }
			next
		}
		on { print }
		on && /^}/ { exit }' "$1"
}

extract_mirror() {
	awk -v f="$2" '
		$0 ~ "^/\\* VTC-MIRROR BEGIN " f "( [^ ]+)? \\*/$" { on = 1; next }
		on && $0 == "/* VTC-MIRROR END */" { exit }
		on { print }' "$1"
}

echo "release: mirror $mirror_ver, tree ${kver:-unknown} ($tree)"
rc=0
status=$(mktemp)
trap 'rm -f "$status"' EXIT
# The copies are only meaningful against the release they were taken from:
# a tree of another release (or another series, given explicitly) would
# show a delta that is not the one the module carries.
if [ "$mirror_ver" != "$kver" ]; then
	echo "klp-diff: release mismatch: the mirror copies Linux $mirror_ver, the tree is ${kver:-unknown}"
	rc=1
fi
for m in "$@"; do
	mirror=$top/src/mirror/$m
	orig_rel=$(sed -n 's/^ \* vtimer-cache mirror of \(.*\)$/\1/p' "$mirror")
	orig=$tree/$orig_rel
	echo "mirror: src/mirror/$m of $orig_rel"
	if [ ! -f "$orig" ]; then
		echo "klp-diff: $orig not found"
		rc=1
		continue
	fi
	sed -n 's|^/\* VTC-MIRROR BEGIN \([^ ]*\) *\([^ ]*\) \*/$|\1 \2|p' "$mirror" |
	while read -r f path; do
		src_rel=${path:-$orig_rel}
		a=$(mktemp) b=$(mktemp)
		extract_orig "$tree/$src_rel" "$f" >"$a"
		extract_mirror "$mirror" "$f" >"$b"
		if [ ! -s "$a" ]; then
			echo "=== $f: NOT FOUND in $src_rel"
			echo 1 >"$status"
		elif cmp -s "$a" "$b"; then
			echo "=== $f: identical"
		else
			echo "=== $f: $(diff "$a" "$b" | grep -c '^[<>]') lines differ"
			diff -u --label "a/$src_rel:$f" --label "b/src/mirror/$m:$f" "$a" "$b" || true
		fi
		rm -f "$a" "$b"
	done
done
[ -s "$status" ] && rc=1
exit $rc
