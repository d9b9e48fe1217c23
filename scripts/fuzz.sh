#!/usr/bin/env bash
# fuzz.sh: runs each fuzz target (pkg:FuzzName arguments) for FUZZTIME.
#
# A failing input is written by go test to the package's
# testdata/fuzz/FuzzName: that fails the run. go1.26's fuzz coordinator
# can also fail a target with a bare "context deadline exceeded" as the
# -fuzztime window closes, without any failing input
# (https://go.dev/issue/75804, fixed in Go 1.27): that alone is reported
# and not counted as a failure.
set -uo pipefail
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-20s}
FUZZMINIMIZETIME=${FUZZMINIMIZETIME:-100x}
failed=0
for t in "$@"; do
	pkg=${t%%:*} name=${t##*:}
	dir=$pkg/testdata/fuzz/$name
	before=$(ls "$dir" 2>/dev/null | sort)
	echo "fuzz $pkg $name for $FUZZTIME"
	out=$(mktemp)
	$GO test -run '^$' -fuzz "^$name\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZETIME" "$pkg" 2>&1 | tee "$out"
	status=${PIPESTATUS[0]}
	after=$(ls "$dir" 2>/dev/null | sort)
	if [ "$status" -ne 0 ]; then
		if [ "$before" = "$after" ] && grep -q '^    context deadline exceeded$' "$out"; then
			echo "fuzz $pkg $name: the coordinator's deadline race (go.dev/issue/75804), no failing input: not a failure"
		else
			echo "fuzz $pkg $name: FAILED" >&2
			failed=1
		fi
	fi
	rm -f "$out"
done
exit $failed
