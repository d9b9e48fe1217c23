#!/usr/bin/env bash
# ldap-bench.sh: how fast the LDAP source reads a large directory, against
# OpenLDAP's own ldapsearch on the same server.
#
#   scripts/ldap-bench.sh [USERS]        (default 100000)
#
# It builds the connectors/ldap test binary and runs BenchmarkRead
# (connectors/ldap/bench_test.go) with ORGBRIDGE_LDAP_BENCH_USERS=USERS.
# The benchmark generates USERS inetOrgPerson users in 4 × 3 OUs
# (ldaptest.WriteUsers), loads them with slapadd into a throwaway slapd on
# 127.0.0.1 (free ports, a temp dir; nothing leaves loopback), and times
# reads of every user, BENCHTIME times each (default 3x):
#
#   source      ldap.Source.Read, page size 1000, orgs from the OUs
#   go-ldap     the same paged search with go-ldap alone (the library's
#               ceiling)
#   ldapsearch  ldapsearch -x -LLL -E pr=1000/noprompt ... > /dev/null,
#               same filter and attributes
#   paired      a source read and an ldapsearch run back to back, in turn
#               one first and the other
#
# and prints entries per second for each, the ratio source/ldapsearch of
# the first and third ("ratio"), the median of the paired reads' ratios
# ("paired": a change in the machine's load between the sub-benchmarks
# does not show in it), and the source's memory in its worst read, each
# read measured from a clean heap: peak heap above the heap before it
# (sampled every ms with runtime/metrics), heap held by its records
# (runtime.ReadMemStats after a GC) and peak RSS (VmHWM). It also prints
# the CPU time of a read (Linux): the source's process, ldapsearch, and
# slapd serving either, which the machine's load changes less than the
# rates. COUNT=N (default 3) runs the benchmark N times, each a separate
# process with a fresh slapd, prints each run, and then the medians and
# the range of the ratios. The slapd stops with its benchmark (and, on
# Linux, if the benchmark dies); every run is under `timeout`.
#
# Exit status: 0 when the aims hold (source at least 80% of ldapsearch's
# rate by both median ratios, peak heap growth under 200 MB), 3 when a
# figure misses its aim, anything else on an error (slapd missing is an
# error here, not a skip).
set -euo pipefail

USERS=${1:-100000}
BENCHTIME=${BENCHTIME:-3x}
COUNT=${COUNT:-3}
STEP_TIMEOUT=${STEP_TIMEOUT:-1800}   # seconds, per benchmark run
GO=${GO:-go}

case $USERS in '' | *[!0-9]* | 0) echo "ldap-bench.sh: USERS must be a positive integer, not '$USERS'" >&2; exit 2 ;; esac
case $COUNT in '' | *[!0-9]* | 0) echo "ldap-bench.sh: COUNT must be a positive integer" >&2; exit 2 ;; esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/orgbridge-ldap-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

for prog in slapd slapadd ldapsearch ldapmodify; do
	if ! command -v "$prog" >/dev/null && [[ ! -x /usr/sbin/$prog ]]; then
		echo "ldap-bench.sh: $prog not found (Debian/Ubuntu: apt-get install slapd ldap-utils)" >&2
		exit 2
	fi
done

echo "== building the connectors/ldap test binary"
"$GO" test -c -o "$tmp/ldap.test" ./connectors/ldap

echo "== BenchmarkRead: $USERS users, benchtime $BENCHTIME, $COUNT run(s) ($(nproc) CPUs, $("$GO" env GOVERSION), load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a))"

# metric FILE SUB UNIT: the value before UNIT on the BenchmarkRead/SUB line.
metric() {
	grep -E "^BenchmarkRead/$2(-[0-9]+)?[[:space:]]" "$1" |
		awk -v unit="$3" '{ for (i = 2; i <= NF; i++) if ($i == unit) { print $(i-1); found = 1 } } END { exit !found }'
}
# median: of the numbers on stdin, one a line.
median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "n/a"; exit } if (NR % 2) print v[(NR+1)/2]; else print (v[NR/2] + v[NR/2+1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# Each run is its own process with its own slapd, so that the three reads
# of a run are close in time and a ratio compares like with like on a
# machine whose load changes.
: >"$tmp/runs.txt"
printf '%-4s %10s %10s %12s %6s %7s %13s %15s %12s %12s %15s\n' run source/s go-ldap/s ldapsearch/s ratio paired peak-heap-MB heap-growth-MB peak-RSS-MB source-cpu-ms ldapsearch-cpu-ms
for run in $(seq 1 "$COUNT"); do
	out=$tmp/bench-$run.txt
	# CI=true: a missing slapd fails the benchmark instead of skipping it.
	if ! (cd connectors/ldap && CI=true ORGBRIDGE_LDAP_BENCH_USERS=$USERS timeout "$STEP_TIMEOUT" \
		"$tmp/ldap.test" -test.run '^$' -test.bench '^BenchmarkRead$' -test.benchtime "$BENCHTIME" \
		-test.timeout 0 -test.v) >"$out" 2>&1; then
		cat "$out"
		echo "ldap-bench.sh: the benchmark failed (run $run)" >&2
		exit 1
	fi
	if [[ $run == 1 ]]; then
		grep -E '^[[:space:]]+bench_test.go' "$out" | sed 's/^[[:space:]]*/   /' >"$tmp/log.txt" || true
	fi
	src=$(metric "$out" source entries/s)
	lib=$(metric "$out" go-ldap entries/s)
	cli=$(metric "$out" ldapsearch entries/s)
	heap=$(metric "$out" source peak-heap-MB)
	growth=$(metric "$out" source heap-growth-MB)
	rss=$(metric "$out" source peak-RSS-MB || echo 0)
	paired=$(metric "$out" paired ratio)
	# CPU per read, "source+slapd": 0 where the platform does not say.
	scpu=$(metric "$out" source cpu-ms/read || echo 0)
	sslapd=$(metric "$out" source slapd-cpu-ms/read || echo 0)
	ccpu=$(metric "$out" ldapsearch cpu-ms/read || echo 0)
	cslapd=$(metric "$out" ldapsearch slapd-cpu-ms/read || echo 0)
	r=$(ratio "$src" "$cli")
	printf '%-4s %10.0f %10.0f %12.0f %6s %7.2f %13.1f %15.1f %12.1f %12s %15s\n' "$run" "$src" "$lib" "$cli" "$r" "$paired" "$heap" "$growth" "$rss" \
		"$(printf '%.0f+%.0f' "$scpu" "$sslapd")" "$(printf '%.0f+%.0f' "$ccpu" "$cslapd")"
	echo "$src $lib $cli $r $heap $growth $rss $paired $scpu $sslapd $ccpu $cslapd" >>"$tmp/runs.txt"
done
cat "$tmp/log.txt"

col() { awk -v c="$1" '{ print $c }' "$tmp/runs.txt" | median; }
# span C: the lowest and highest of column C, "lo–hi".
span() { awk -v c="$1" 'NR == 1 || $c < lo { lo = $c } NR == 1 || $c > hi { hi = $c } END { printf "%.2f–%.2f", lo, hi }' "$tmp/runs.txt"; }
src_rate=$(col 1)
lib_rate=$(col 2)
cli_rate=$(col 3)
ratio_med=$(col 4)
peak_heap=$(col 5)
growth=$(col 6)
peak_rss=$(col 7)
paired_med=$(col 8)

echo
echo "== $USERS users: medians of $COUNT run(s), $BENCHTIME reads each"
printf '  %-34s %10.0f entries/s\n' "source (ldap.Source.Read)" "$src_rate"
printf '  %-34s %10.0f entries/s\n' "go-ldap alone" "$lib_rate"
printf '  %-34s %10.0f entries/s\n' "ldapsearch -E pr=1000/noprompt" "$cli_rate"
echo "  ratio source/ldapsearch:            $ratio_med   (aim: >= 0.80; runs $(span 4))"
printf '  paired ratio source/ldapsearch:     %.2f   (aim: >= 0.80; runs %s)\n' "$paired_med" "$(span 8)"
echo "  ratio go-ldap/ldapsearch:           $(ratio "$lib_rate" "$cli_rate")"
echo "  ratio source/go-ldap:               $(ratio "$src_rate" "$lib_rate")"
printf '  source peak heap growth in a read:  %.1f MB   (aim: < 200 MB)\n' "$peak_heap"
printf '  source heap held by the records:    %.1f MB\n' "$growth"
printf '  source peak RSS during a read:      %.1f MB\n' "$peak_rss"
printf '  CPU per read, source + its slapd:   %.0f + %.0f ms\n' "$(col 9)" "$(col 10)"
printf '  CPU per read, ldapsearch + slapd:   %.0f + %.0f ms\n' "$(col 11)" "$(col 12)"

status=0
if awk -v r="$ratio_med" 'BEGIN { exit !(r < 0.80) }'; then
	echo "AIM MISSED: the source reads at $ratio_med of ldapsearch's rate (aim 0.80)"
	status=3
fi
if awk -v r="$paired_med" 'BEGIN { exit !(r < 0.80) }'; then
	echo "AIM MISSED: paired, the source reads at $paired_med of ldapsearch's rate (aim 0.80)"
	status=3
fi
if awk -v m="$peak_heap" 'BEGIN { exit !(m >= 200) }'; then
	echo "AIM MISSED: peak heap growth $peak_heap MB (aim < 200 MB)"
	status=3
fi
[[ $status == 0 ]] && echo "aims met"
exit $status
