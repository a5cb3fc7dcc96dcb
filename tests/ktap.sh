# shellcheck shell=sh
# KTAP output (Documentation/dev-tools/ktap.rst) for every test emitter,
# in the shape of kselftest's ktap_helpers.sh: sourced by tests/check.sh,
# native-series.sh, dkms-conf.sh, and in the rig by vm/lib.sh (run.sh
# copies it to /vtc/). POSIX sh: busybox runs it.
#
#   ktap_header              "KTAP version 1"; the counts start at 0
#   ktap_plan N              "1..N", when N is known before the first result
#   ktap_msg TEXT...         "# TEXT", a diagnostic line
#   ktap_pass NAME           "ok N NAME"
#   ktap_fail NAME           "not ok N NAME"
#   ktap_skip NAME REASON    "ok N NAME # SKIP REASON", counted as skipped
#   ktap_result NAME CMD...  ok if CMD exits 0; returns CMD's failure
#   ktap_finish              the closing line "N passed, N failed, N
#                            skipped"; returns 0 iff nothing failed
#   ktap_bail REASON         "Bail out! REASON", the closing line, exit 1
#   ktap_nest FILE           FILE's KTAP as a subtest: version line, plan
#                            (its number of results), its results and "# "
#                            lines, indented by two spaces; the results
#                            join the counts, and a plan of FILE's that they
#                            miss adds a failure. Returns 1 if any failed.
#
# A NAME carries no "#": it would start a directive.

ktap_header() {
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
	if "$@"; then ktap_pass "$_ktap_name"; else ktap_fail "$_ktap_name"; return 1; fi
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

ktap_nest() {
	_ktap_out=$(awk '/^(not )?ok [0-9]+/ { n++; if ($1 == "not") f++; else if (/ # SKIP( |$)/) s++ }
		/^1\.\.[0-9]+/ { plan = substr($1, 4) }
		/^((not )?ok [0-9]+|# )/ { l[++k] = "  " $0 }
		END {
			if (plan != "" && plan != n) {
				l[++k] = "  not ok " (n + 1) " the plan: " plan " tests, " (n + 0) " ran"
				n++; f++
			}
			print n - f - s, f + 0, s + 0
			print "  KTAP version 1"
			print "  1.." (n + 0)
			for (i = 1; i <= k; i++) print l[i]
		}' "$1")
	# shellcheck disable=SC2046 # the counts: passed, failed, skipped
	set -- $(printf '%s\n' "$_ktap_out" | head -n 1)
	printf '%s\n' "$_ktap_out" | sed 1d
	KTAP_PASS=$((KTAP_PASS + $1)) KTAP_FAIL=$((KTAP_FAIL + $2)) KTAP_SKIP=$((KTAP_SKIP + $3))
	[ "$2" = 0 ]
}

KTAP_N=0 KTAP_PASS=0 KTAP_FAIL=0 KTAP_SKIP=0
