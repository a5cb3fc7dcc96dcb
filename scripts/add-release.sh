#!/bin/bash
# Does the module's mirror of a series still hold for another release of
# that series (a stable update), and if so, add it to src/mirror/releases.
#
#   scripts/add-release.sh NEW [OLD]
#
# NEW: the new release's kernel source, a tree or Debian's linux-source-X.Y
# .deb. OLD: a tree of the release the series' line mirrors now (default:
# the rig's test kernel of that series, tests/kernel/build.sh). Every
# function a mirror file of that line copies (its VTC-MIRROR blocks) must
# have the same text in NEW as in OLD: then the copies are the new
# release's code too, and the line "NEW_RELEASE same files" is added.
# Otherwise it names what changed and adds nothing: that function needs a
# new mirror file (docs/releases.md). Either way, a make check run with a
# test kernel of the new release is what proves it.
#
# Exit status: 0 added (or already there), 1 a copied function changed, 2
# usage or input error.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
releases=${VTC_RELEASES:-$top/src/mirror/releases}	# (tests edit a copy)
die() { echo "add-release.sh: $*" >&2; exit 2; }

new=${1:-}
old=${2:-}
[ -n "$new" ] || die "usage: scripts/add-release.sh NEW_TREE_OR_LINUX_SOURCE_DEB [OLD_TREE]"
if [ -f "$new" ]; then
	# Debian's linux-source-X.Y: the tree is a tarball inside the package.
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	dpkg-deb -x "$new" "$tmp/x" || die "$new is not a Debian package"
	tarball=$(ls "$tmp"/x/usr/src/linux-source-*.tar.xz 2>/dev/null | head -n 1)
	[ -n "$tarball" ] || die "$new has no usr/src/linux-source-*.tar.xz"
	echo "add-release.sh: unpacking $(basename "$tarball")" >&2
	tar -C "$tmp" -xf "$tarball"
	new=$(ls -d "$tmp"/linux-source-* | head -n 1)
fi
[ -f "$new/Makefile" ] || die "$new is not a kernel tree"

# The release a tree says it is (its Makefile's VERSION, PATCHLEVEL,
# SUBLEVEL), without configuring it.
kver() {
	awk '/^VERSION =/ { v = $3 } /^PATCHLEVEL =/ { p = $3 } /^SUBLEVEL =/ { s = $3 }
		END { if (v != "") printf "%s.%s.%s\n", v, p, s; else exit 1 }' "$1/Makefile"
}
rel=$(kver "$new") || die "cannot read the release of $new"
series=$(echo "$rel" | cut -d. -f1,2)
if awk -v r="$rel" '!/^#/ && $1 == r { f = 1 } END { exit !f }' "$releases"; then
	echo "add-release.sh: Linux $rel is already in src/mirror/releases"
	exit 0
fi
line=$(awk -v s="$series" '!/^#/ && index($1, s ".") == 1' "$releases" | tail -n 1)
[ -n "$line" ] || die "no mirror of series $series: a new series needs its own mirrors (docs/releases.md)"
# shellcheck disable=SC2086 # a list of words
set -- $line
mirrored=$1
shift
files=("$@")
if [ -z "$old" ]; then
	old=$("$top/tests/kernel/build.sh" "$series")/linux || die "no tree of $mirrored (tests/kernel/build.sh $series)"
fi
[ "$(kver "$old")" = "$mirrored" ] || die "$old is Linux $(kver "$old"), not $mirrored, which the mirrors copy"

# Function NAME's definition in FILE: from its first line at column 0 to
# the closing brace at column 0 (as scripts/klp-diff.sh).
extract() {
	awk -v f="$2" '
		!cand && !on && $0 ~ "^[a-z].*[ *]" f "\\(" { cand = 1; buf = "" }
		cand && !on {
			buf = buf $0 "\n"
			if ($0 ~ /;$/) { cand = 0; next }
			if ($0 == "{") { on = 1; printf "%s", buf }
			next
		}
		on { print }
		on && /^}/ { exit }' "$1"
}

echo "Linux $rel against $mirrored, which the mirrors of $series copy:"
changed=0
for m in "${files[@]}"; do
	mirror=$top/src/mirror/$m
	orig=$(sed -n 's/^ \* vtimer-cache mirror of \(.*\)$/\1/p' "$mirror")
	while read -r f path; do
		src=${path:-$orig}
		a=$(extract "$old/$src" "$f")
		b=$(extract "$new/$src" "$f" 2>/dev/null || true)
		if [ -z "$b" ]; then
			echo "  $src:$f: not in $rel"
			changed=1
		elif [ "$a" != "$b" ]; then
			echo "  $src:$f: changed"
			diff -u --label "$mirrored/$src:$f" --label "$rel/$src:$f" \
				<(echo "$a") <(echo "$b") | sed 's/^/    /' || true
			changed=1
		else
			echo "  $src:$f: same text"
		fi
	done < <(sed -n 's|^/\* VTC-MIRROR BEGIN \([^ ]*\) *\([^ ]*\) \*/$|\1 \2|p' "$mirror")
done
if [ $changed = 1 ]; then
	echo "Linux $rel changed a copied function: not added; it needs a mirror file of its own (docs/releases.md)"
	exit 1
fi
printf '%-10s %s\n' "$rel" "${files[*]}" >>"$releases"
echo "added to src/mirror/releases: $rel ${files[*]}"
echo "next: a test kernel of $rel (tests/kernel/sources, tests/kernel/build.sh) and make check"
