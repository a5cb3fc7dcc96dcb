#!/bin/bash
# tests/cli-docs.sh: the CLI's table of commands and options ("vtimer-cache
# help --table") against what is built from it (the help text, the
# parser, the bash completion, which read it) and what is written by hand
# (the man page's SYNOPSIS, COMMANDS and OPTIONS). Runs on the build host,
# where no module is loaded. KTAP through tests/ktap.sh, "# " diagnostics
# after a failed check; exit 1 if any check failed.
#
# VTC_CLI, VTC_MAN and VTC_COMPLETION replace the three files, to run the
# checks against a deliberately broken copy and see them fail.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cli=${VTC_CLI:-$top/scripts/vtimer-cache}
man=${VTC_MAN:-$top/scripts/vtimer-cache.8}
comp=${VTC_COMPLETION:-$top/scripts/vtimer-cache.bash-completion}
# shellcheck source=tests/ktap.sh
. "$top/tests/ktap.sh"
ktap_header

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cli-docs.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

verdict() { # verdict DESCRIPTION PROBLEMS: ok if there are none
	if [ -z "$2" ]; then
		ktap_pass "$1"
	else
		ktap_fail "$1"
		printf '%s\n' "$2" | sed -e '/^$/d' -e 's/^/# /'
	fi
}

# diff_sets WHAT WANT GOT: "missing: ..." and "extra: ..." of two word lists.
diff_sets() {
	local m e
	m=$(comm -23 <(tr ' ' '\n' <<<"$2" | sed '/^$/d' | sort -u) <(tr ' ' '\n' <<<"$3" | sed '/^$/d' | sort -u) | tr '\n' ' ')
	e=$(comm -13 <(tr ' ' '\n' <<<"$2" | sed '/^$/d' | sort -u) <(tr ' ' '\n' <<<"$3" | sed '/^$/d' | sort -u) | tr '\n' ' ')
	[ -z "$m" ] || echo "$1 lacks: $m"
	[ -z "$e" ] || echo "$1 has, the table not: $e"
}

# --- the table ----------------------------------------------------------
table=$(sh "$cli" help --table 2>&1)
commands() { awk '$2 == "-" { gsub(/,/, " ", $1); print $1 }' <<<"$table" | tr '\n' ' '; }
options_of() { # CMD: its options' spellings
	awk -v c="$1" '$2 != "-" && index("," $1 ",", "," c ",") { gsub(/,/, " ", $2); print $2 }' <<<"$table" | tr '\n' ' '
}
first_options_of() { # CMD: its options' first spellings, as in a synopsis
	awk -v c="$1" '$2 != "-" && index("," $1 ",", "," c ",") { sub(/,.*/, "", $2); print $2 }' <<<"$table" | tr '\n' ' '
}
operand_of() { awk -v c="$1" '$2 == "-" && index("," $1 ",", "," c ",") { print $3 }' <<<"$table"; }
all_options() { awk '$2 != "-" { gsub(/,/, " ", $2); print $2 }' <<<"$table" | tr '\n' ' '; }

# --- the man page, with the escapes that hide names (\-, fonts) out -------
man_text() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g' "$man"; }
dashed() { grep -oE -- '(^|[[ (|])--?[a-z][a-z0-9-]*' | sed 's/^[[ (|]//' | tr '\n' ' '; }
# man_synopsis CMD: the lines of its .SY block after the .SY line
man_synopsis() {
	man_text | awk -v c="$1" '/^\.SY/ { on = ($0 ~ ("^\\.SY \"?vtimer-cache " c "\"?$")); next }
		/^\.YS/ { on = 0 } on'
}
man_synopsis_commands() { man_text | sed -n 's/^\.SY "\{0,1\}vtimer-cache \([a-z]*\)"\{0,1\}$/\1/p' | tr '\n' ' '; }
# man_tags SECTION: the first line of each .TP entry of SECTION
man_tags() {
	man_text | awk -v s="$1" '/^\.SH/ { on = ($0 ~ ("^\\.SH \"?" s "\"?$")) }
		on && prev == ".TP" { print } { prev = $0 }'
}
man_commands() { # each COMMANDS tag's words up to its first argument
	man_tags COMMANDS | awk '{ for (i = 1; i <= NF && $i !~ /^\[/; i++) { w = $i; sub(/,$/, "", w); print w } }' | tr '\n' ' '
}

# --- the completion, in a non-interactive bash of its own -----------------
mkdir -p "$tmp/files/subdir" "$tmp/bin"
: >"$tmp/files/mod.ko"
: >"$tmp/files/notes.txt"
printf '#!/bin/sh\nexec sh "%s" "$@"\n' "$cli" >"$tmp/bin/vtimer-cache"
chmod +x "$tmp/bin/vtimer-cache"
cat >"$tmp/driver.sh" <<-'EOF'
	set -u
	unset -f _init_completion _filedir
	mode=$1 comp=$2
	shift 2
	if [ "$mode" = stub ]; then
		_init_completion() {
			words=("${COMP_WORDS[@]}")
			cword=$COMP_CWORD
			cur=${COMP_WORDS[COMP_CWORD]}
			prev=${COMP_WORDS[COMP_CWORD - 1]}
		}
	fi
	source "$comp" || exit 1
	if [ "$mode" = register ]; then
		complete -p vtimer-cache
		exit
	fi
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	_vtimer_cache vtimer-cache "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
	[ ${#COMPREPLY[@]} = 0 ] || printf '%s\n' "${COMPREPLY[@]}"
EOF
# complete MODE WORD...: the reply for the line, sorted, on one line; what
# the completion wrote to stderr is left in $tmp/stderr
complete_line() {
	(cd "$tmp/files" && PATH=$tmp/bin:$PATH env -u BASH_ENV bash "$tmp/driver.sh" "$1" "$comp" \
		"${@:2}" 2>"$tmp/stderr") | sort | tr '\n' ' '
	[ "${PIPESTATUS[0]}" = 0 ] || echo "(the driver failed)"
}
completion_is() { # DESCRIPTION MODE "WORDS" WORD...: exactly those words
	local got want
	want=$(tr ' ' '\n' <<<"$3" | sed '/^$/d' | sort | tr '\n' ' ')
	got=$(complete_line "$2" "${@:4}")
	verdict "completion: $1" "$([ "$got" = "$want" ] || printf 'line: "%s"\nwant: %s\ngot:  %s\n' "${*:4}" "$want" "$got")$(cat "$tmp/stderr")"
}

# --- the checks -----------------------------------------------------------
missing=
for f in "$cli" "$man" "$comp"; do [ -r "$f" ] || missing="$missing $f"; done
verdict "the CLI, its man page and its completion are there" "${missing:+not readable:$missing}"
[ -z "$missing" ] || { ktap_finish; exit 1; }
verdict "help --table: the table (commands: $(commands))" \
	"$(grep -q '^status - ' <<<"$table" || echo "no table from '$cli help --table':"$'\n'"$table")"

if command -v groff >/dev/null; then
	verdict "the man page renders without warnings (groff -man -ww)" "$(groff -man -ww -z -Tutf8 "$man" 2>&1 >/dev/null)"
else
	verdict "the man page renders without warnings (man --warnings)" \
		"$(MANPAGER=cat PAGER=cat man --warnings -l "$man" 2>&1 >/dev/null)"
fi
missing=
sections=$(sed -n 's/^\.SH "\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$man")
for s in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS "EXIT STATUS" FILES \
	"SECURE BOOT AND LOCKDOWN" TAINT EXAMPLES "SEE ALSO"; do
	grep -qxF "$s" <<<"$sections" || missing="$missing, $s"
done
grep -qE '^\.TH "?VTIMER-CACHE"? 8( |$)' "$man" || missing="$missing, .TH VTIMER-CACHE 8"
verdict "the man page has the title and sections of a section 8 page" "${missing:+missing: ${missing#, }}"

# help: every command and option, none cut short
help=$(sh "$cli" help 2>&1)
rc=$?
problems=$([ $rc = 0 ] || echo "help exits $rc")
for c in $(commands); do
	line=$(awk -v c="$c" '$1 == "vtimer-cache" && $2 == c { l = $0; on = 1; next }
		on && /^          / { l = l $0; next } { on = 0 } END { print l }' <<<"$help")
	[ -n "$line" ] || { problems+=$'\n'"no 'vtimer-cache $c' line"; continue; }
	for o in $(first_options_of "$c"); do
		[[ $line == *"[$o"* ]] || problems+=$'\n'"$c: $o not in its usage line"
	done
done
for o in $(all_options); do
	grep -qF -- "$o" <<<"$help" || problems+=$'\n'"$o not in the help"
done
verdict "help prints each command with all its options" "$problems"

# the man page against the table
problems=$(diff_sets "the SYNOPSIS" "$(commands)" "$(man_synopsis_commands)")
for c in $(commands); do
	syn=$(man_synopsis "$c")
	p=$(diff_sets "the SYNOPSIS of $c" "$(first_options_of "$c")" "$(dashed <<<"$syn")")
	[ -z "$p" ] || problems+=$'\n'"$p"
	if [ "$(operand_of "$c")" != - ] && ! grep -q MODULE <<<"$syn"; then
		problems+=$'\n'"the SYNOPSIS of $c lacks its operand $(operand_of "$c")"
	fi
done
verdict "the man page's SYNOPSIS: each command with its options" "$problems"
verdict "the man page's COMMANDS: an entry for each command" \
	"$(diff_sets "COMMANDS" "$(commands) -h --help" "$(man_commands)")"
verdict "the man page's OPTIONS: an entry for each option" \
	"$(diff_sets "OPTIONS" "$(all_options)" "$(man_tags OPTIONS | dashed)")"

# the parser: every option of the table accepted (no module is loaded on
# the build host: 3, 7 or output, never 2), others refused
problems=
while read -r cmds opt value _; do
	[ "$opt" = - ] && continue
	for c in ${cmds//,/ }; do
		for o in ${opt//,/ }; do
			case $value in
			-) v=() ;; SEC|N) v=(5) ;; *'|'*) v=("${value%%|*}") ;; W,W) v=(hvc) ;; *) v=(/nonexistent) ;;
			esac
			args=("$c" "$o" "${v[@]}")
			[ "$c" = bench ] && [ "$o" != --list ] && args+=(--list)
			sh "$cli" "${args[@]}" >/dev/null 2>&1
			[ $? = 2 ] && problems+=" '${args[*]}'"
		done
	done
done <<<"$table"
sh "$cli" status -t 5 >/dev/null 2>&1
[ $? = 2 ] || problems+=" 'status -t 5' (not an option of status) was accepted"
sh "$cli" disable --frob >/dev/null 2>&1
[ $? = 2 ] || problems+=" 'disable --frob' was accepted"
verdict "the parser accepts each command's options, in any order, and no other" \
	"${problems:+usage error (2) for:$problems}"

# the completion
completion_is "the commands" plain "$(commands)" vtimer-cache ''
problems=
for c in $(commands); do
	got=" $(complete_line plain vtimer-cache "$c" -) "
	for o in $(options_of "$c"); do [[ $got == *" $o "* ]] || problems+=" $c:$o"; done
done
verdict "completion: each command's options" "${problems:+not offered:$problems}"
completion_is "di -> disable" plain disable vtimer-cache di
completion_is "disable --signal -> -t, --timeout, --no-revert (accepted after it)" plain \
	"-t --timeout --no-revert" vtimer-cache disable --signal ''
completion_is "status -> nothing" plain "" vtimer-cache status ''
completion_is "stats - -> --json" plain --json vtimer-cache stats -
completion_is "bench --gic -> v2 v3" plain "v2 v3" vtimer-cache bench --gic ''
completion_is "bench --only -> the workloads of bench --list" plain \
	"$(sh "$cli" bench --list | awk '{ print $1 }' | tr '\n' ' ')" vtimer-cache bench --only ''
completion_is "bench --only hvc,w -> hvc,wfi" plain hvc,wfi vtimer-cache bench --only hvc,w
completion_is "bench --el2 --only h -> hvc, hvc-el2" plain "hvc hvc-el2" vtimer-cache bench --el2 --only h
completion_is "bench --vcpus 4 --only mmio-user- -> mmio-user-4vcpu" plain mmio-user-4vcpu \
	vtimer-cache bench --vcpus 4 --only mmio-user-
completion_is "bench --iters -> nothing (a number)" plain "" vtimer-cache bench --iters ''
completion_is "load -> *.ko and directories" plain "mod.ko subdir" vtimer-cache load ''
completion_is "load -t 5 -> *.ko and directories" plain "mod.ko subdir" vtimer-cache load -t 5 ''
completion_is "info -> *.ko and directories" plain "mod.ko subdir" vtimer-cache info ''
completion_is "bench --vmm n -> any file" plain notes.txt vtimer-cache bench --vmm n
completion_is "with _init_completion: di -> disable" stub disable vtimer-cache di
completion_is "with _init_completion: bench --gic -> v2 v3" stub "v2 v3" vtimer-cache bench --gic ''
reg=$(env -u BASH_ENV bash "$tmp/driver.sh" register "$comp" 2>&1)
verdict "completion: registered for vtimer-cache" \
	"$([ "$reg" = "complete -F _vtimer_cache vtimer-cache" ] || echo "complete -p: $reg")"
if command -v shellcheck >/dev/null; then
	verdict "shellcheck -s bash: the completion" "$(shellcheck -s bash "$comp" 2>&1)"
else
	verdict "shellcheck -s bash: the completion" "shellcheck is not installed"
fi

# On this build host there is no module for the running kernel: load has
# nothing to load (7, not a failure) and status says why.
out=$(sh "$cli" load 2>&1)
rc=$?
verdict "load without a module for this kernel: nothing to load (7), says why" \
	"$([ $rc = 7 ] && grep -q "^vtimer-cache: nothing to load: no vtimer_cache module for kernel $(uname -r)" <<<"$out" ||
		echo "exit $rc: $out")"
out=$(sh "$cli" status 2>&1)
rc=$?
verdict "status: not loaded (3), and why" \
	"$([ $rc = 3 ] && grep -q "^why: no vtimer_cache module for kernel $(uname -r): " <<<"$out" || echo "exit $rc: $out")"

ktap_finish
