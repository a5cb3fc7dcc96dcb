# shellcheck shell=sh
# KTAP output (Documentation/dev-tools/ktap.rst) for every test emitter,
# in the shape of kselftest's ktap_helpers.sh: sourced by tests/check.sh,
# the host tests (native-series.sh, dkms-conf.sh), and in the rig by
# vm/lib.sh (run.sh copies this file to /vtc/). POSIX sh: busybox runs it.
#
#   ktap_header              "KTAP version 1"; the counts start at 0
#   ktap_plan N              "1..N", where N is known before the first test
#   ktap_msg TEXT...         "# TEXT", a diagnostic line
#   ktap_pass NAME           "ok N NAME"
#   ktap_fail NAME           "not ok N NAME"
#   ktap_skip NAME REASON    "ok N NAME # SKIP REASON" (counted as skipped)
#   ktap_result NAME CMD...  ok if CMD exits 0
#   ktap_finish              the closing line "N passed, N failed, N
#                            skipped"; returns 0 iff nothing failed
#   ktap_bail REASON         "Bail out! REASON", the closing line, exit 1
#   ktap_nest FILE           FILE's KTAP as a subtest (below); its results
#                            join the counts; returns 1 if any failed
#
# Numbers run on from 1; a description carries no "#" (it would start a
# directive).

ktap_header() {
	# ktap_nest FILE: the version line, the plan (the number of results:
# a script's checks are rarely known in advance), then FILE's results and
# diagnostics, indented by two spaces; FILE's own version, plan and other
# lines are left out. A plan in FILE that its results do not meet (a
# script that stopped early) adds a failed result.
ktap_nest() {
	# shellcheck disable=SC2046 # three numbers
	set -- "$1" $(awk '/^(not )?ok [0-9]+/ { if ($1 == "not") f++; else if (/ # SKIP( |$)/) s++; else p++ }
		/^1\.\.[0-9]+/ { plan = substr($1, 4) }
		END { n = p + f + s; if (plan != "" && plan != n) f++; print p + 0, f + 0, s + 0 }' "$1")
	KTAP_PASS=$((KTAP_PASS + $2)) KTAP_FAIL=$((KTAP_FAIL + $3)) KTAP_SKIP=$((KTAP_SKIP + $4))
	awk '/^(not )?ok [0-9]+/ { n++ } /^1\.\.[0-9]+/ { plan = substr($1, 4) }
		/^((not )?ok [0-9]+|# )/ { l[++k] = $0 }
		END {
			m = n; if (plan != "" && plan != n) m++
			print "  KTAP version 1"; print "  1.." m
			for (i = 1; i <= k; i++) print "  " l[i]
			if (m > n) print "  not ok " m " the plan: " plan " tests, " n " ran"
		}' "$1"
	[ "$3" = 0 ]
}

KTAP_N=0 KTAP_PASS=0 KTAP_FAIL=0 KTAP_SKIP=0
	echo "KTAP version 1"
}

ktap_plan() { echo "1..$1"; }

ktap_msg() { echo "# $*"; }

ktap_pass() {
	KTAP_N=$((KTAP_N + 1)) KTAP_PASS=$((KTAP_PASS + 1))
	echo "ok $KTAP_N $1"
}

ktap_fail() {
	KTAP_N=$((KTAP_N + 1)) KTAP_FAIL=$((KTAP_FAIL + 1))
	echo "not ok $KTAP_N $1"
}

ktap_skip() {
	KTAP_N=$((KTAP_N + 1)) KTAP_SKIP=$((KTAP_SKIP + 1))
	echo "ok $KTAP_N $1 # SKIP $2"
}

ktap_result() {
	_ktap_name=$1
	shift
	if "$@"; then ktap_pass "$_ktap_name"; else ktap_fail "$_ktap_name"; fi
}

ktap_finish() {
	echo "$KTAP_PASS passed, $KTAP_FAIL failed, $KTAP_SKIP skipped"
	[ "$KTAP_FAIL" = 0 ]
}

ktap_bail() {
	echo "Bail out! $*"
	KTAP_FAIL=$((KTAP_FAIL + 1))
	ktap_finish
	exit 1
}

# ktap_nest FILE: the version line, the plan (the number of results:
# a script's checks are rarely known in advance), then FILE's results and
# diagnostics, indented by two spaces; FILE's own version, plan and other
# lines are left out. A plan in FILE that its results do not meet (a
# script that stopped early) adds a failed result.
ktap_nest() {
	# shellcheck disable=SC2046 # three numbers
	set -- "$1" $(awk '/^(not )?ok [0-9]+/ { if ($1 == "not") f++; else if (/ # SKIP( |$)/) s++; else p++ }
		/^1\.\.[0-9]+/ { plan = substr($1, 4) }
		END { n = p + f + s; if (plan != "" && plan != n) f++; print p + 0, f + 0, s + 0 }' "$1")
	KTAP_PASS=$((KTAP_PASS + $2)) KTAP_FAIL=$((KTAP_FAIL + $3)) KTAP_SKIP=$((KTAP_SKIP + $4))
	awk '/^(not )?ok [0-9]+/ { n++ } /^1\.\.[0-9]+/ { plan = substr($1, 4) }
		/^((not )?ok [0-9]+|# )/ { l[++k] = $0 }
		END {
			m = n; if (plan != "" && plan != n) m++
			print "  KTAP version 1"; print "  1.." m
			for (i = 1; i <= k; i++) print "  " l[i]
			if (m > n) print "  not ok " m " the plan: " plan " tests, " n " ran"
		}' "$1"
	[ "$3" = 0 ]
}

KTAP_N=0 KTAP_PASS=0 KTAP_FAIL=0 KTAP_SKIP=0
