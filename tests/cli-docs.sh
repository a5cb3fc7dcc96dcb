#!/bin/bash
# tests/cli-docs.sh: the man page (scripts/vtimer-cache.8) and the bash
# completion (scripts/vtimer-cache.bash-completion) against the CLI they
# describe, so that neither falls behind when a command or option is added.
# Runs on the build host. KTAP-style output: "ok N - ..." or "not ok N -
# ...", "# " diagnostics, the plan last; exit 1 if any check failed.
#
# VTC_CLI, VTC_MAN and VTC_COMPLETION replace the three files, to run the
# checks against a deliberately broken copy and see them fail.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cli=${VTC_CLI:-$top/scripts/vtimer-cache}
man=${VTC_MAN:-$top/scripts/vtimer-cache.8}
comp=${VTC_COMPLETION:-$top/scripts/vtimer-cache.bash-completion}
n=0
failed=0

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cli-docs.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

ok() {
	n=$((n + 1))
	echo "ok $n - $1"
}

not_ok() { # not_ok DESCRIPTION [DIAGNOSTICS]
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	if [ -n "${2-}" ]; then
		printf '%s\n' "$2" | sed -e '/^$/d' -e 's/^/# /'
	fi
}

verdict() { # verdict DESCRIPTION PROBLEMS: ok if there are none
	if [ -z "$2" ]; then
		ok "$1"
	else
		not_ok "$1" "$2"
	fi
}

# --- what the CLI says about itself -----------------------------------

# The usage lines, read the way the CLI's usage() reads them.
usage_lines() {
	sed -n 's/^#   vtimer-cache/usage: vtimer-cache/p' "$cli"
}

usage_commands() {
	usage_lines | awk '{ print $3 }'
}

# The comment block at the top of the CLI (its usage, exit codes, notes).
header() {
	awk 'NR > 1 && !/^#/ { exit } NR > 1' "$cli"
}

header_long_options() {
	header | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

# "COMMAND OPTION" for each option in a command's usage lines: the line
# naming the command and the lines indented under it.
usage_options() {
	header | awk '
		/^#   vtimer-cache [a-z]/ { cmd = $3 }
		/^#$/ { cmd = "" }
		cmd != "" {
			s = $0
			while (match(s, /(^|[[ (])--?[a-z][a-z0-9-]*/)) {
				o = substr(s, RSTART, RLENGTH)
				sub(/^[[ (]/, "", o)
				print cmd, o
				s = substr(s, RSTART + RLENGTH)
			}
		}' | sort -u
}

# The long options the argument parsers accept: case patterns, and the
# words compared with "=" (disable --signal, stats --json).
parser_long_options() {
	{
		sed -n 's/^[[:space:]]*\(-[-a-z|]*\)).*/\1/p' "$cli" | tr '|' '\n'
		grep -oE -- '= --[a-z][a-z0-9-]*' "$cli" | cut -c3-
	} | grep -E '^--' | sort -u
}

# The commands the CLI dispatches on, help and its aliases included.
dispatched_commands() {
	# shellcheck disable=SC2016 # $cmd is the CLI's, matched literally
	sed -n '/^case \$cmd in$/,/^esac$/s/^\([-a-z|]*\)).*/\1/p' "$cli" | tr '|' '\n'
}

# --- what the man page says -------------------------------------------

# The source with the escapes that hide option names (\- and font
# changes) taken out, to search for names as typed.
man_text() {
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\&//g' "$man"
}

man_sections() {
	sed -n 's/^\.SH "\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$man"
}

# The tags of the COMMANDS section: each .TP's first line, up to its first
# argument ("help, -h, --help" gives three).
man_commands() {
	man_text | awk '
		/^\.SH/ { in_cmds = ($0 ~ /^\.SH "?COMMANDS"?$/) }
		in_cmds && prev == ".TP" {
			sub(/^\.[A-Z]+ /, "")
			for (i = 1; i <= NF && $i !~ /^\[/; i++) {
				w = $i
				sub(/,$/, "", w)
				print w
			}
		}
		{ prev = $0 }'
}

man_mentions() { # man_mentions WORD: as a whole word, not part of another
	man_text | grep -qE -- "(^|[^a-zA-Z0-9_-])$1([^a-zA-Z0-9_-]|$)"
}

# --- the completion, in a shell of its own ----------------------------

# Files for the completion of file names to find, and a driver: a
# non-interactive bash that reads no start-up file (BASH_ENV unset), with
# no _init_completion or _filedir even if exported by the caller, unless
# "stub" asks for a minimal _init_completion. It prints the reply, one
# word a line; "register" prints how vtimer-cache is registered.
setup_completion() {
	mkdir -p "$tmp/files/subdir" || return 1
	: >"$tmp/files/mod.ko"
	: >"$tmp/files/notes.txt"
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
}

# complete_line MODE WORD...: the sorted reply for the line "WORD..." with
# the cursor at its end; what the completion wrote to stderr is left in
# $tmp/stderr, and a failed driver gives a line saying so.
complete_line() {
	(cd "$tmp/files" &&
		env -u BASH_ENV bash "$tmp/driver.sh" "$1" "$comp" "${@:2}" 2>"$tmp/stderr") | sort
	[ "${PIPESTATUS[0]}" = 0 ] || echo "(the driver failed)"
}

words() { # words LINES: on one line
	tr '\n' ' ' <<<"$1"
}

stderr_problem() {
	if [ -s "$tmp/stderr" ]; then
		echo "stderr:"
		cat "$tmp/stderr"
	fi
}

# completion_is DESCRIPTION MODE "EXPECTED WORDS" WORD...: the reply is
# exactly those words, in any order.
completion_is() {
	local desc=$1 mode=$2 want got
	local -a w
	read -ra w <<<"$3"
	shift 3
	want=
	if [ ${#w[@]} != 0 ]; then
		want=$(printf '%s\n' "${w[@]}" | sort)
	fi
	got=$(complete_line "$mode" "$@")
	if [ "$got" = "$want" ]; then
		verdict "$desc" "$(stderr_problem)"
	else
		not_ok "$desc" "line: \"$*\""$'\n'"want: $(words "$want")"$'\n'"got:  $(words "$got")"$'\n'"$(stderr_problem)"
	fi
}

# completion_has DESCRIPTION MODE "WORDS" WORD...: the reply includes
# those words.
completion_has() {
	local desc=$1 mode=$2 got word missing=
	local -a w
	read -ra w <<<"$3"
	shift 3
	got=$(complete_line "$mode" "$@")
	for word in "${w[@]}"; do
		grep -qxF -- "$word" <<<"$got" || missing="$missing $word"
	done
	if [ -n "$missing" ]; then
		not_ok "$desc" "line: \"$*\""$'\n'"missing:$missing"$'\n'"got: $(words "$got")"$'\n'"$(stderr_problem)"
	else
		verdict "$desc" "$(stderr_problem)"
	fi
}

# --- the checks -------------------------------------------------------

check_files() {
	local f missing=
	for f in "$cli" "$man" "$comp"; do
		[ -r "$f" ] || missing="$missing $f"
	done
	verdict "the CLI, its man page and its completion are there" \
		"${missing:+not readable:$missing}"
}

check_render() {
	local desc="the man page renders without warnings" errs rc
	if command -v groff >/dev/null; then
		errs=$(groff -man -ww -z -Tutf8 "$man" 2>&1 >/dev/null)
		rc=$?
		desc="$desc (groff -man -ww)"
	elif command -v man >/dev/null; then
		errs=$(MANPAGER=cat PAGER=cat man --warnings=w -l "$man" 2>&1 >/dev/null)
		rc=$?
		desc="$desc (man --warnings=w, no groff)"
	else
		not_ok "$desc" "neither groff nor man is installed: cannot render $man"
		return
	fi
	if [ "$rc" != 0 ] && [ -z "$errs" ]; then
		errs="exit status $rc"
	fi
	verdict "$desc" "$errs"
}

check_sections() {
	local s sections missing=
	sections=$(man_sections)
	for s in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS "EXIT STATUS" FILES \
		"SECURE BOOT AND LOCKDOWN" TAINT EXAMPLES "SEE ALSO"; do
		grep -qxF "$s" <<<"$sections" || missing="$missing, $s"
	done
	grep -qE '^\.TH "?VTIMER-CACHE"? 8( |$)' "$man" || missing="$missing, .TH VTIMER-CACHE 8"
	verdict "the man page has the title and sections of a section 8 page" \
		"${missing:+missing: ${missing#, }}"
}

# The test's reading of the usage against what the CLI prints: a usage()
# that reads its header differently would make every check below miss.
check_usage_parse() {
	local printed cmds
	printed=$(sh "$cli" help 2>&1 >/dev/null)
	cmds=$(usage_commands | tr '\n' ' ')
	cmds=${cmds% }
	if [ -z "$cmds" ]; then
		not_ok "the usage names commands" "no \"#   vtimer-cache CMD\" line in $cli"
	elif [ "$printed" != "$(usage_lines)" ]; then
		not_ok "the usage names commands" "vtimer-cache help prints other lines than its header has:"$'\n'"$printed"
	else
		ok "the usage names commands: $cmds"
	fi
}

# missing_commands LIST: the usage's commands not in LIST (one per line).
missing_commands() {
	local c
	[ -n "$(usage_commands)" ] || { echo " (no command in the usage to look for)"; return; }
	for c in $(usage_commands); do
		grep -qxF -- "$c" <<<"$1" || printf ' %s' "$c"
	done
}

check_man_commands() {
	local missing
	missing=$(missing_commands "$(man_commands)")
	verdict "every command of the usage has an entry in the man page's COMMANDS" \
		"${missing:+no entry for:$missing}"
}

check_completion_commands() {
	local missing
	missing=$(missing_commands "$(complete_line plain vtimer-cache '')")
	verdict "the completion offers every command of the usage" \
		"$(printf '%s\n' "${missing:+not offered:$missing}" "$(stderr_problem)" | sed '/^$/d')"
}

# The other way round: nothing documented or offered that the CLI would
# reject as an unknown command.
check_no_stale_commands() {
	local c known extra=
	known=$(dispatched_commands)
	for c in $(man_commands) $(complete_line plain vtimer-cache ''); do
		grep -qxF -- "$c" <<<"$known" || extra="$extra $c"
	done
	if [ -z "$known" ]; then
		extra=" (no dispatch (case \$cmd in ... esac) found in $cli)"
	fi
	verdict "the man page and the completion name only commands the CLI has" \
		"${extra:+unknown to the CLI:$extra}"
}

check_man_options() { # check_man_options DESCRIPTION OPTION...
	local desc=$1 o missing=
	shift
	for o in "$@"; do
		man_mentions "$o" || missing="$missing $o"
	done
	if [ $# = 0 ]; then
		missing=" (no option found in $cli)"
	fi
	verdict "$desc" "${missing:+not in the man page:$missing}"
}

check_completion_options() {
	local cmd opt got pairs missing=''
	pairs=$(usage_options)
	while read -r cmd opt; do
		got=$(complete_line plain vtimer-cache "$cmd" -)
		grep -qxF -- "$opt" <<<"$got" || missing="$missing $cmd:$opt"
	done <<<"$pairs"
	if [ -z "$pairs" ]; then
		missing=" (no option found in the usage)"
	fi
	verdict "the completion offers each command's options from the usage" \
		"${missing:+not offered:$missing}"
}

check_completion_cases() {
	local workloads="mmio-user hvc timer-mmio wfi migrate mmio-user-2vcpu timer-mmio-2vcpu"

	completion_is "completion: vtimer-cache di -> disable" plain disable vtimer-cache di
	completion_is "completion: bench --gic -> v2 v3" plain "v2 v3" vtimer-cache bench --gic ''
	completion_has "completion: disable -- -> --signal, --no-revert" plain \
		"--signal --no-revert" vtimer-cache disable --
	completion_is "completion: stats - -> --json" plain --json vtimer-cache stats -
	completion_is "completion: bench --only -> the workloads" plain "$workloads" \
		vtimer-cache bench --only ''
	completion_is "completion: bench --only hvc,w -> hvc,wfi" plain hvc,wfi \
		vtimer-cache bench --only hvc,w
	completion_is "completion: bench --el2 --only h -> hvc, hvc-el2" plain "hvc hvc-el2" \
		vtimer-cache bench --el2 --only h
	completion_is "completion: bench --iters -> nothing (a number)" plain "" \
		vtimer-cache bench --iters ''
	completion_is "completion: load -> *.ko and directories" plain "mod.ko subdir" \
		vtimer-cache load ''
	completion_is "completion: info -> *.ko and directories" plain "mod.ko subdir" \
		vtimer-cache info ''
	completion_is "completion: bench --vmm n -> any file" plain notes.txt \
		vtimer-cache bench --vmm n
	completion_is "completion, with _init_completion: di -> disable" stub disable \
		vtimer-cache di
	completion_is "completion, with _init_completion: bench --gic -> v2 v3" stub "v2 v3" \
		vtimer-cache bench --gic ''

	local reg
	reg=$(env -u BASH_ENV bash "$tmp/driver.sh" register "$comp" 2>&1)
	verdict "completion: registered for vtimer-cache" \
		"$([ "$reg" = "complete -F _vtimer_cache vtimer-cache" ] || echo "complete -p: $reg")"
}

check_shellcheck() {
	local out
	if ! command -v shellcheck >/dev/null; then
		not_ok "shellcheck -s bash: the completion" "shellcheck is not installed"
		return
	fi
	out=$(shellcheck -s bash "$comp" 2>&1) || [ -n "$out" ] || out="shellcheck failed"
	verdict "shellcheck -s bash: the completion" "$out"
}

main() {
	check_files
	if [ "$failed" != 0 ]; then
		# Every other check reads these files.
		echo "1..$n"
		exit 1
	fi
	check_render
	check_sections
	check_usage_parse
	check_man_commands
	setup_completion || { not_ok "set up the completion driver in $tmp"; echo "1..$n"; exit 1; }
	check_completion_commands
	check_no_stale_commands
	# shellcheck disable=SC2046 # one option a word
	check_man_options "every long option of the usage is in the man page" \
		$(header_long_options)
	# shellcheck disable=SC2046 # one option a word
	check_man_options "every long option the CLI's parsers accept is in the man page" \
		$(parser_long_options)
	check_completion_options
	check_completion_cases
	check_shellcheck
	echo "1..$n"
	[ "$failed" = 0 ]
}

main
