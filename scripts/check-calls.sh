#!/bin/bash
# Is every call of every function the module replaces a call of the
# function, out of line, on a built kernel tree's release? klp redirects a
# function's entry: a copy of it the compiler inlined into a caller never
# reaches the patched one, and the module would silently miss what that
# path does.
#
#   scripts/check-calls.sh KDIR
#
# KDIR: a built kernel tree (vmlinux, System.map, the .o files and their
# .*.o.cmd) of a release src/mirror/releases lists. For each of its mirror
# files, each replaced function F (a klp .old_name) and the kernel source
# file SRC the mirror's header names, one KTAP line:
#
#   ok N F: S call sites in SRC, S out of line
#   not ok N F: S call sites in SRC, O out of line, K inlined
#
# - S: the calls "F(" in SRC, comments and strings stripped, outside F's
#   own definition and declarations (a reference by address, as in
#   request_percpu_irq(..., kvm_arch_timer_handler, ...), is no call);
# - O: the bl/b instructions to F in the tree's SRC's .o, outside F;
# - K: the copies of F inlined into other functions of that object. The
#   object has no debug info (CONFIG_DEBUG_INFO_NONE), so SRC is compiled
#   again, with the tree's own recorded command (.*.o.cmd) plus -g, into a
#   scratch directory: -g does not change GCC's code, and the check makes
#   sure of it (the two objects disassemble the same, relocations
#   included); K is then the DWARF's concrete inlined instances of F
#   (DW_TAG_inlined_subroutine, with code), named by caller and line.
# A rebuild with inlining turned off would only give the compiler's count
# of call sites, which a caller of F inlined in two places (two calls
# from one site) can balance against an F inlined elsewhere: the DWARF
# says where F itself went.
#
# F passes when K is 0, O is at least S (more when a caller of F is
# itself inlined in two places: noted), F is one function symbol (no
# .constprop, .isra, .part clone) in the object, and one function of its
# own in System.map (no other function at its address: no alias, e.g.
# from identical code folding). A call site configured out (#ifdef) or
# in a macro expanded twice makes S differ: a failure to look at by hand.
# Exit status 0 if all pass, 1 if one fails, 2 on a usage or input error.
# Nothing in KDIR is written (the rebuild runs in KDIR and writes its
# object and dependency file to the scratch directory).
#
# Not covered: LTO kernels (refused: inlining across files, and the
# objects are bitcode); callers in other files than SRC
# (kvm_timer_cpu_down's in arm.c, __irq_set_irqchip_state's in kexec.c),
# which without LTO can only call F out of line; calls through a pointer
# (kvm_arch_timer_handler's), which reach F's entry.
#
# CHECK_CALLS_EXTRA="SRC:FUNC ...": check these functions too. The test
# of the check: kernel/irq/manage.c:synchronize_irq must fail, on 7.2 and
# 7.3: an exported function of its own in System.map (gen-expect.sh takes
# it), that GCC also inlines into disable_irq().
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
releases=$top/src/mirror/releases
cross=${CROSS_COMPILE:-aarch64-linux-gnu-}
die() { echo "check-calls.sh: $*" >&2; exit 2; }

kdir=${1:-}
[ -n "$kdir" ] || die "usage: scripts/check-calls.sh KDIR"
kdir=$(cd "$kdir" && pwd) || die "$1: no such directory"
for f in vmlinux System.map .config; do
	[ -f "$kdir/$f" ] || die "$kdir/$f not found: not a built kernel tree"
done
grep -q '^CONFIG_LTO_NONE=y$' "$kdir/.config" ||
	die "$kdir is built with LTO: inlining across files is not checked"
kver=$(make -s -C "$kdir" kernelversion 2>/dev/null) || die "$kdir: no kernel version"
line=$(awk -v r="$kver" '!/^#/ && $1 == r' "$releases")
[ -n "$line" ] || die "release $kver is not in src/mirror/releases"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The work: "SRC F" lines, in the releases line's order.
# shellcheck disable=SC2086 # a list of words
set -- $line
shift
for m in "$@"; do
	mirror=$top/src/mirror/$m
	[ -f "$mirror" ] || die "src/mirror/$m not found"
	src=$(sed -n 's/^ \* vtimer-cache mirror of \(.*\)$/\1/p' "$mirror")
	[ -n "$src" ] || die "src/mirror/$m names no kernel source file"
	sed -n 's/.*\.old_name = "\([A-Za-z_0-9]*\)".*/\1/p' "$mirror" |
		sed "s|^|$src |"
done >"$tmp/work"
for e in ${CHECK_CALLS_EXTRA:-}; do
	echo "${e%%:*} ${e#*:}"
done >>"$tmp/work"
[ -s "$tmp/work" ] || die "no replaced function in the mirror files of $kver"

# sites FILE F: the calls "F(" in C source FILE, outside F's definition
# and declarations (which start at column 0, kernel style).
sites() {
	"${cross}gcc" -E -fpreprocessed -dD -P -x c "$1" 2>/dev/null |
	awk -v f="$2" '
		{ gsub(/"([^"\\]|\\.)*"/, "\"\""); gsub(/'\''([^'\''\\]|\\.)*'\''/, "0") }
		{ gsub(/(->|\.)[ \t]*[A-Za-z_][A-Za-z0-9_]*/, ".m") }	# members
		body { if ($0 ~ /^}/) body = 0; next }
		decl || ($0 ~ "^[A-Za-z_].*[^A-Za-z0-9_]" f "[ \t]*\\(") {
			decl = 1
			if ($0 ~ /^{/ || $0 ~ /\{[ \t]*$/) { decl = 0; body = 1 }
			else if ($0 ~ /;[ \t]*$/) decl = 0
			next
		}
		{
			s = " " $0
			while (match(s, "[^A-Za-z0-9_]" f "[ \t]*\\(")) {
				n++
				s = substr(s, RSTART + RLENGTH)
			}
		}
		END { print n + 0 }'
}

# calls OBJ: "CALLER TARGET" for every bl/b in OBJ, the target read from
# its relocation when it has one (SECTION+OFFSET resolved to the function
# starting there).
calls() {
	"${cross}objdump" -dr --no-show-raw-insn "$1" | awk '
		function flush() {
			if (pend != "") { caller[++n] = fn; target[n] = pend }
			pend = ""
		}
		/^Disassembly of section / { flush(); sec = $4; sub(/:$/, "", sec); next }
		/^[0-9a-f]+ <.*>:$/ {
			flush()
			fn = $2; gsub(/^<|>:$/, "", fn)
			a = $1; sub(/^0+/, "", a)
			start[sec "+0x" (a == "" ? "0" : a)] = fn
			next
		}
		/^[ \t]+[0-9a-f]+: R_AARCH64_(CALL|JUMP)26[ \t]/ {
			if (pend != "") { pend = $3; flush() }
			next
		}
		/^[ \t]+[0-9a-f]+:\t(bl|b)\t/ {
			flush()
			pend = $0
			sub(/.*</, "", pend); sub(/>.*/, "", pend)
			next
		}
		/^[ \t]+[0-9a-f]+:/ { flush() }
		END {
			flush()
			for (i = 1; i <= n; i++) {
				t = target[i]
				if (t in start) t = start[t]
				print caller[i], t
			}
		}'
}

# inlined OBJ: "F LINE CALLER" for every inlined instance of a function,
# with code, in OBJ's DWARF, but those directly in F itself or in an
# inlined F (GCC's split-off part of F, F.part.0, inlined back into it).
inlined() {
	"${cross}readelf" --debug-dump=info "$1" 2>/dev/null | awk '
		function ref(s) { sub(/.*<0x/, "", s); sub(/>.*/, "", s); return s }
		function nm(o,  i) {
			for (i = 0; i < 8 && !(o in name) && (o in org); i++) o = org[o]
			return name[o]
		}
		/^ <[0-9]+><[0-9a-f]+>: Abbrev Number: 0$/ { next }
		/^ <[0-9]+><[0-9a-f]+>: Abbrev Number: / {
			d = $1; sub(/^<[0-9]+></, "", d); sub(/>:$/, "", d)
			depth = $1; sub(/^</, "", depth); sub(/>.*/, "", depth)
			depth += 0
			cur = d
			tag[d] = $NF
			stk[depth] = d
			par[d] = depth > 0 ? stk[depth - 1] : ""
			if (depth == 1) topd = d
			top[d] = topd
			next
		}
		/ DW_AT_name[ :]/ { v = $0; sub(/.*: /, "", v); name[cur] = v; next }
		/ DW_AT_(abstract_origin|specification)[ :]/ { org[cur] = ref($0); next }
		/ DW_AT_(low_pc|entry_pc|ranges)[ :]/ { pc[cur] = 1; next }
		/ DW_AT_call_line[ :]/ { cl[cur] = $NF; next }
		END {
			for (d in tag) {
				if (tag[d] != "(DW_TAG_inlined_subroutine)" || !(d in pc))
					continue
				p = par[d]
				while (p != "" && tag[p] != "(DW_TAG_inlined_subroutine)" &&
				       tag[p] != "(DW_TAG_subprogram)")
					p = par[p]
				if (p != "" && nm(p) == nm(d))
					continue
				print nm(d), cl[d], nm(top[d])
			}
		}'
}

echo "1..$(wc -l <"$tmp/work")"
n=0 rc=0
mapfile -t srcs < <(awk '!s[$1]++ { print $1 }' "$tmp/work")
for src in "${srcs[@]}"; do
	obj=${src%.c}.o
	o=$tmp/$(echo "$obj" | tr / _)
	rebuilt='' why=''
	if [ ! -f "$kdir/$src" ] || [ ! -f "$kdir/$obj" ]; then
		why="$src or $obj not in $kdir"
	else
		cmdf=$kdir/$(dirname "$obj")/.$(basename "$obj").cmd
		cmd=$(sed -n 's/^\(saved\)\{0,1\}cmd_[^ ]* := //p' "$cmdf" 2>/dev/null || true)
		case $cmd in
		"${cross}gcc "*" -c -o $obj $src"*) ;;
		*) cmd='' ;;
		esac
		case $cmd in
		*';'*|*'&&'*|*-save-temps*|*-fdump-*) cmd='' ;;
		esac
		if [ -z "$cmd" ]; then
			why="no plain compiler command for $obj in $cmdf"
		else
			dep=$(dirname "$obj")/.$(basename "$obj").d
			cmd=${cmd/"-Wp,-MMD,$dep "/"-Wp,-MMD,$o.d "}
			cmd=${cmd/" -c -o $obj "/" -g -c -o $o "}
			# nothing may be written in KDIR
			case $cmd in
			*"$dep"*|*" -o $obj "*) why="cannot redirect $obj's outputs in $cmdf" ;;
			esac
			if [ -n "$why" ]; then
				:
			elif (cd "$kdir" && sh -c "$cmd") >"$tmp/cc.log" 2>&1; then
				if cmp -s <("${cross}objdump" -dr "$kdir/$obj" | tail -n +3) \
					<("${cross}objdump" -dr "$o" | tail -n +3); then
					rebuilt=$o
				else
					why="$obj compiled again with -g is not the tree's object"
				fi
			else
				why="$obj does not compile again: $(tail -n 1 "$tmp/cc.log")"
			fi
		fi
	fi
	if [ -f "$kdir/$obj" ]; then
		calls "$kdir/$obj" >"$tmp/calls"
		"${cross}nm" "$kdir/$obj" >"$tmp/nm"
	else
		: >"$tmp/calls"
		: >"$tmp/nm"
	fi
	if [ -n "$rebuilt" ]; then
		inlined "$rebuilt" >"$tmp/inlined"
		# -O2 inlines something into every kernel object: none read
		# means the DWARF was not understood.
		[ -s "$tmp/inlined" ] || why="no inlined function read in $obj's DWARF"
	else
		: >"$tmp/inlined"
	fi

	mapfile -t fns < <(awk -v s="$src" '$1 == s { print $2 }' "$tmp/work")
	for f in "${fns[@]}"; do
		n=$((n + 1))
		notes=()
		s=0
		[ -f "$kdir/$src" ] && s=$(sites "$kdir/$src" "$f")
		out=$(awk -v f="$f" '$2 == f && $1 != f' "$tmp/calls" | wc -l)
		inl=$(awk -v f="$f" '$1 == f' "$tmp/inlined" | wc -l)
		[ -n "$why" ] && notes+=("$why: inlining not read")
		while read -r _ l caller; do
			notes+=("$f inlined into $caller, $src line $l")
		done < <(awk -v f="$f" '$1 == f' "$tmp/inlined" | sort -k3,3 -k2n,2)
		k=$(awk -v f="$f" '($2 == "t" || $2 == "T") && $3 == f' "$tmp/nm" | wc -l)
		[ "$k" = 1 ] || notes+=("$f is $k function symbols in $obj")
		c=$(awk -v f="$f" '($2 == "t" || $2 == "T") && index($3, f ".") == 1 &&
			$3 != f ".cold" { printf " %s", $3 }' "$tmp/nm" "$kdir/System.map")
		[ -z "$c" ] || notes+=("$f has compiler clones:$c")
		a=$(awk -v f="$f" '($2 == "t" || $2 == "T") && $3 == f { print $1 }' "$kdir/System.map")
		k=$(echo "$a" | awk 'NF' | wc -l)
		if [ "$k" != 1 ]; then
			notes+=("$f is $k functions in System.map")
		else
			al=$(awk -v a="$a" -v f="$f" '$1 == a && ($2 == "t" || $2 == "T") &&
				$3 != f { printf " %s", $3 }' "$kdir/System.map")
			[ -z "$al" ] || notes+=("$f shares its address in System.map with$al")
		fi
		[ "$out" -ge "$s" ] || [ "$inl" != 0 ] ||
			notes+=("$((s - out)) call sites of $f in $src are not in $obj (configured out, dead, or misread): check by hand")
		msg="$f: $s call sites in $src, $out out of line"
		[ "$inl" = 0 ] || msg="$msg, $inl inlined"
		if [ ${#notes[@]} = 0 ]; then
			echo "ok $n $msg"
			# a caller inlined in two places: two calls from one site
			[ "$out" = "$s" ] || echo "# $f: $((out - s)) call(s) more than call sites (a caller of $f inlined more than once)"
		else
			echo "not ok $n $msg"
			printf '# %s\n' "${notes[@]}"
			rc=1
		fi
	done
done
exit $rc
