#!/usr/bin/env bash
# scale.sh: time orgbridge on a large HR export, with the built binary
# against a separate emulator process on loopback.
#
#   scripts/scale.sh [USERS]        (default 10000; `make scale` runs it)
#   ORGS=10000 scripts/scale.sh 1000000
#
# It builds bin/orgbridge, writes an export of USERS users in the demo's
# column layout and a copy of configs/demo.yaml pointed at it. Without ORGS
# the export is the same rows as BenchmarkSyncInitial in
# cmd/orgbridge/bench_test.go (the 7 orgs of configs/demo/orgs.csv; the
# README's figures are of that export). With ORGS, `orgbridge gen` writes
# it: ORGS orgs on the deepest of DEPTH levels (default 3), FANOUT children
# an org above (default: the smallest that leaves one root; 87 gives the
# issue's 10,117 orgs for ORGS=10000), NGROUPS groups (default 100; `make
# scale GROUPS=N`) holding
# MEMBERSHIPS memberships (default 15% of USERS), LEAVERS and SUSPENDED
# percent of the users 退職 and 休職 (default 2 and 1), SEED (default 1). It
# starts `orgbridge emulate aircourse --rate-limit off` on a free 127.0.0.1
# port, and times three steps: plan, the first sync, and a sync with nothing
# to change (which must make no write call); STEPS (default "plan first
# nochange") names the ones to run, e.g. STEPS=plan when a first sync would
# take too long (nochange needs first). Then the paced samples: a
# PACED_USERS-user (default 150) first sync against an emulator with the
# document's 60 requests a minute, once for each way of counting "a minute"
# in PACED_WINDOWS (default "fixed sliding": the emulator's fixed window,
# and the sliding 60 seconds of `--reading ratelimit-sliding`). Each prints
# the requests a minute the emulator served (over whole minutes, see
# pace_stats), the most in any 60 seconds, the share answered 429, which
# must stay under 0.5%, and the count answered 401 (a token sent after it
# expired). PACED_READINGS adds readings to every paced run
# (PACED_READINGS=token-short: 20-second tokens). PACED_USERS=0 skips them
# (they take a few minutes each by design). The paced syncs log at debug level, so the pacer's waits are counted from
# orgbridge's own log too.
#
# Wall time is taken with $EPOCHREALTIME around each command; peak RSS (of
# orgbridge alone, not of the emulator) with GNU /usr/bin/time -v when it is
# installed, else bash's `time` gives the wall time only. Requests, writes
# and 429s are counted from the emulator's debug log (one line per request).
# Every step runs under `timeout`, so the script always ends; it exits
# non-zero when a step fails or a check does not hold.
set -euo pipefail

USERS=${1:-10000}
PACED_USERS=${PACED_USERS:-150}
PACED_WINDOWS=${PACED_WINDOWS:-fixed sliding}
PACED_READINGS=${PACED_READINGS:-}
STEP_TIMEOUT=${STEP_TIMEOUT:-900}     # seconds, per timed step
GO=${GO:-go}
STEPS=${STEPS:-plan first nochange}
ORGS=${ORGS:-}
DEPTH=${DEPTH:-3}
FANOUT=${FANOUT:-0}
NGROUPS=${NGROUPS:-100} # not GROUPS: bash keeps its own GROUPS (group ids) and ignores the environment's
MEMBERSHIPS=${MEMBERSHIPS:-}
LEAVERS=${LEAVERS:-2}
SUSPENDED=${SUSPENDED:-1}
SEED=${SEED:-1}

case $USERS in '' | *[!0-9]* | 0) echo "scale.sh: USERS must be a positive integer, not '$USERS'" >&2; exit 2 ;; esac
case $PACED_USERS in '' | *[!0-9]*) echo "scale.sh: PACED_USERS must be a non-negative integer" >&2; exit 2 ;; esac
case $ORGS in '' | [1-9] | [1-9]*[0-9]) ;; *) echo "scale.sh: ORGS must be a positive integer, not '$ORGS'" >&2; exit 2 ;; esac
[[ -n $MEMBERSHIPS ]] || MEMBERSHIPS=$((USERS * 15 / 100 > NGROUPS ? USERS * 15 / 100 : NGROUPS))
step_on() { [[ " $STEPS " == *" $1 "* ]]; }
for s in $STEPS; do
	case $s in plan | first | nochange) ;; *) echo "scale.sh: STEPS: unknown step '$s' (plan, first, nochange)" >&2; exit 2 ;; esac
done
if step_on nochange && ! step_on first; then
	echo "scale.sh: STEPS: nochange needs first (the target is empty until then)" >&2
	exit 2
fi
for w in $PACED_WINDOWS; do
	case $w in fixed | sliding) ;; *) echo "scale.sh: PACED_WINDOWS: unknown window '$w' (fixed, sliding)" >&2; exit 2 ;; esac
done

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bin=$root/bin/orgbridge

tmp=$(mktemp -d "${TMPDIR:-/tmp}/orgbridge-scale.XXXXXX")
emu_pid=""

stop_emulator() {
	if [[ -n $emu_pid ]]; then
		kill "$emu_pid" 2>/dev/null || true
		wait "$emu_pid" 2>/dev/null || true
		emu_pid=""
	fi
}
cleanup() {
	stop_emulator
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
	echo "scale.sh: $*" >&2
	exit 1
}

gnu_time=""
if [[ -x /usr/bin/time ]] && /usr/bin/time -v -o /dev/null true 2>/dev/null; then
	gnu_time=/usr/bin/time
fi

echo "building bin/orgbridge"
CGO_ENABLED=0 "$GO" build -o "$bin" ./cmd/orgbridge

export AIRCOURSE_CLIENT_SECRET=demo-secret # the emulator's demo secret

# gen_export N FILE: the export of BenchmarkSyncInitial. User i (from 0) is
# 100001+i in the i%7-th org of configs/demo/orgs.csv; every 25th is a
# manager (管理者), every 100th on leave (休職), every 10th in 新人研修 and
# every 20th in 安全衛生委員会.
gen_export() {
	local paths
	paths=$(tail -n +2 configs/demo/orgs.csv | sed 's/^\xEF\xBB\xBF//' | cut -d, -f1 | paste -sd'|' -)
	[[ -n $paths ]] || die "no org paths in configs/demo/orgs.csv"
	awk -v n="$1" -v paths="$paths" 'BEGIN {
		k = split(paths, org, "|")
		print "社員番号,氏名,メールアドレス,所属,役職,役割,在籍区分,グループ"
		for (i = 0; i < n; i++) {
			id = 100001 + i
			pos = ""; role = "一般"
			if (i % 25 == 0) { pos = "課長"; role = "管理者" }
			st = "在籍"
			if (i % 100 == 99) st = "休職"
			g = ""
			if (i % 10 == 3) g = "新人研修"
			if (i % 20 == 7) g = (g == "" ? "" : g ";") "安全衛生委員会"
			printf "%d,社員 %d,user%d@example.co.jp,%s,%s,%s,%s,%s\n", id, id, id, org[i % k + 1], pos, role, st, g
		}
	}' >"$2"
}

# make_workdir DIR USERS URL [gen]: the demo config, orgs file and an
# export in DIR, pointed at URL, with the store in DIR. The guard is left as
# it is. With "gen", orgbridge gen writes the export and the orgs file (see
# ORGS above); without, gen_export and configs/demo/orgs.csv.
make_workdir() {
	local dir=$1 n=$2 url=$3 how=${4:-}
	mkdir -p "$dir/demo"
	if [[ $how == gen ]]; then
		local start=$EPOCHREALTIME
		"$bin" gen --users "$n" --orgs "$ORGS" --depth "$DEPTH" --fanout "$FANOUT" --groups "$NGROUPS" \
			--memberships "$MEMBERSHIPS" --leavers "$LEAVERS" --suspended "$SUSPENDED" --seed "$SEED" \
			--out "$dir/demo" >"$dir/gen.out" || die "orgbridge gen failed"
		mv "$dir/demo/users.csv" "$dir/users.csv"
		gen_note="$(cat "$dir/gen.out") in $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
		echo "  $gen_note"
	else
		cp configs/demo/orgs.csv "$dir/demo/orgs.csv"
		gen_export "$n" "$dir/users.csv"
	fi
	sed -e 's#^\(  *path: \)demo/users\.csv#\1users.csv#' \
		-e "s#^\(  *base_url: \)http://127\.0\.0\.1:8081#\1$url#" \
		-e 's#^\(  *path: \)orgbridge-demo\.db#\1scale.db#' \
		configs/demo.yaml >"$dir/scale.yaml"
	grep -q '^ *path: users\.csv' "$dir/scale.yaml" || die "configs/demo.yaml: could not point the users path at the export"
	grep -q "^ *base_url: $url\$" "$dir/scale.yaml" || die "configs/demo.yaml: could not point base_url at the emulator"
	grep -q '^ *path: scale\.db' "$dir/scale.yaml" || die "configs/demo.yaml: could not move the store"
}

# start_emulator LOG [FLAGS...]: serve the AirCourse emulator on a free
# 127.0.0.1 port (the kernel picks it), logging every request at debug
# level to LOG; sets emu_pid and emu_url.
start_emulator() {
	local log=$1
	shift
	"$bin" emulate aircourse --addr 127.0.0.1:0 --log-level debug --log-format json "$@" >"$log.out" 2>"$log" &
	emu_pid=$!
	emu_url=""
	for _ in $(seq 100); do
		emu_url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$log.out" 2>/dev/null | head -n 1 || true)
		[[ -n $emu_url ]] && return 0
		kill -0 "$emu_pid" 2>/dev/null || break
		sleep 0.1
	done
	cat "$log.out" "$log" >&2 || true
	die "the emulator did not start"
}

# Counting from the emulator's log. A request's line is written just after
# its response, so wait a moment after a step before counting.
log_lines() { wc -l <"$1" | tr -d ' '; }
requests_since() { tail -n +"$(($2 + 1))" "$1" | grep -c '"msg":"aircourse emulator request"' || true; }
writes_since() {
	tail -n +"$(($2 + 1))" "$1" | grep '"msg":"aircourse emulator request"' | grep -v '"method":"GET"' |
		grep -vc '"path":"/oauth/token"' || true
}
throttled_since() { tail -n +"$(($2 + 1))" "$1" | grep -c '"status":429' || true; }

# pace_stats LOG: from the emulator's request lines (ISO 8601 "ts" to the
# millisecond), "REQUESTS THROTTLED MINUTES PER_MIN MAX_IN_60S SHARE_429":
# the requests served in the whole minutes from the first request to the
# last (MINUTES of them), a minute ("-" when the run lasted under a
# minute), the most requests in any 60 seconds, and the percentage answered
# 429. Whole minutes, because a paced client sends in bursts when the
# window turns, so a span that ends right after a burst would overstate the
# rate.
pace_stats() {
	grep '"msg":"aircourse emulator request"' "$1" |
		sed -n 's/.*"ts":"\([0-9-]*\)T\([0-9:.]*\)[^"]*".*"status":\([0-9]*\).*/\1 \2 \3/p' |
		awk '
		function days(y, m, d) { # days from 1970-01-01 (civil calendar)
			y -= (m <= 2); era = int(y / 400); yoe = y - era * 400
			doy = int((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
			return era * 146097 + yoe * 365 + int(yoe / 4) - int(yoe / 100) + doy - 719468
		}
		{
			split($1, D, "-"); split($2, T, ":")
			t[n++] = days(D[1] + 0, D[2] + 0, D[3] + 0) * 86400 + T[1] * 3600 + T[2] * 60 + T[3]
			if ($3 == 429) throttled++
		}
		END {
			if (n == 0) { print "0 0 0 - 0 0"; exit }
			minutes = int((t[n - 1] - t[0]) / 60)
			rate = "-"
			if (minutes > 0) {
				k = 0
				for (i = 0; i < n; i++) if (t[i] < t[0] + 60 * minutes) k++
				rate = sprintf("%.2f", k / minutes)
			}
			most = 0; j = 0
			for (i = 0; i < n; i++) {
				while (t[i] - t[j] >= 60) j++
				if (i - j + 1 > most) most = i - j + 1
			}
			printf "%d %d %d %s %d %.2f\n", n, throttled, minutes, rate, most, 100 * throttled / n
		}'
}

rows=()

# print_table: the rows timed so far (also before a failed step's exit, so
# that a long run that fails late still reports its earlier steps).
print_table() {
	echo
	echo "orgbridge scale ($(nproc 2>/dev/null || echo '?') cores, $("$GO" env GOVERSION), $(date -u +%Y-%m-%d))"
	echo
	echo "| step | users | wall s | users/s | peak RSS MB | requests | writes | 429s |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	printf '%s\n' "${rows[@]}"
	echo
}

# timed LABEL USERS EMULATOR_LOG OUT ERR CMD...: run CMD under timeout and
# record a table row. Sets step_rc.
timed() {
	local label=$1 n=$2 log=$3 out=$4 err=$5
	shift 5
	local before start end wall rss tf=$tmp/time.txt
	before=$(log_lines "$log")
	step_rc=0
	if [[ -n $gnu_time ]]; then
		start=$EPOCHREALTIME
		"$gnu_time" -v -o "$tf" timeout "$STEP_TIMEOUT" "$@" >"$out" 2>"$err" || step_rc=$?
		end=$EPOCHREALTIME
		wall=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')
		rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$tf")
	else
		local TIMEFORMAT=%R
		{ time timeout "$STEP_TIMEOUT" "$@" >"$out" 2>"$err" || step_rc=$?; } 2>"$tf"
		wall=$(tail -n 1 "$tf")
		rss=n/a
	fi
	sleep 0.3
	step_requests=$(requests_since "$log" "$before")
	step_writes=$(writes_since "$log" "$before")
	step_429=$(throttled_since "$log" "$before")
	local rate
	rate=$(awk -v n="$n" -v w="$wall" 'BEGIN { if (w <= 0) print "-"; else if (n / w < 10) printf "%.2f", n / w; else printf "%.0f", n / w }')
	rows+=("| $label | $n | $wall | $rate | $rss | $step_requests | $step_writes | $step_429 |")
	echo "  $label: ${wall}s, exit $step_rc"
	if [[ $step_rc -ne 0 ]]; then
		echo "--- stdout (last lines)" >&2
		tail -n 20 "$out" >&2 || true
		echo "--- stderr (last lines)" >&2
		tail -n 20 "$err" >&2 || true
		print_table
		die "$label failed with exit $step_rc"
	fi
}

# 1. Scale: USERS users, no rate limit.
work=$tmp/scale
mkdir -p "$work"
start_emulator "$work/emulator.log" --rate-limit off
gen_note="" first_changes="" first_requests=""
make_workdir "$work" "$USERS" "$emu_url" ${ORGS:+gen}
echo "scale run: $USERS users, emulator $emu_url (no rate limit), work dir $work"
cfg=$work/scale.yaml

if step_on plan; then
	timed "plan" "$USERS" "$work/emulator.log" "$work/plan.out" "$work/plan.err" \
		"$bin" plan -c "$cfg" --log-level warn --log-format json
	[[ $step_writes -eq 0 ]] || die "plan made $step_writes write calls"
fi

if step_on first; then
	timed "sync (first)" "$USERS" "$work/emulator.log" "$work/sync1.out" "$work/sync1.err" \
		"$bin" sync -c "$cfg" --log-level warn --log-format json
	grep -q '^applied [0-9]* changes' "$work/sync1.out" || die "the first sync did not report its changes"
	first_changes=$(sed -n 's/^applied \([0-9]*\) changes.*/\1/p' "$work/sync1.out" | head -n 1)
	first_requests=$step_requests
fi

if step_on nochange; then
	timed "sync (no change)" "$USERS" "$work/emulator.log" "$work/sync2.out" "$work/sync2.err" \
		"$bin" sync -c "$cfg" --log-level warn --log-format json
	[[ $step_writes -eq 0 ]] || die "the no-change sync made $step_writes write calls; want 0"
	grep -q 'no changes' "$work/sync2.out" || die "the no-change sync planned changes"
fi

emu_rss=n/a
if [[ -r /proc/$emu_pid/status ]]; then
	emu_rss=$(awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$emu_pid/status")
fi
stop_emulator

# 2. Paced: PACED_USERS users at the document's 60 requests a minute, under
# each window of PACED_WINDOWS.
paced_notes=()
paced_failed=""
if [[ $PACED_USERS -gt 0 ]]; then
	for window in $PACED_WINDOWS; do
		readings=$PACED_READINGS
		[[ $window == sliding ]] && readings=ratelimit-sliding${readings:+,$readings}
		reading=()
		if [[ -n $readings ]]; then
			# Not a pipe into grep -q: under pipefail, the help writer
			# killed by SIGPIPE when grep quits early fails the test.
			emu_help=$("$bin" emulate aircourse --help 2>&1 || true)
			[[ $emu_help == *--reading* ]] ||
				die "this orgbridge's emulate has no --reading flag, so the sliding-window sample cannot run (PACED_WINDOWS=fixed runs the fixed one alone)"
			reading=(--reading "$readings")
		fi
		work=$tmp/paced-$window
		mkdir -p "$work"
		start_emulator "$work/emulator.log" "${reading[@]}" # no --rate-limit: the document's 60 a minute
		make_workdir "$work" "$PACED_USERS" "$emu_url"
		echo "paced run: $PACED_USERS users, emulator $emu_url (60 requests a minute, $window window${readings:+, readings $readings})"
		timed "sync (first, paced 60/min, $window window)" "$PACED_USERS" "$work/emulator.log" "$work/sync.out" "$work/sync.err" \
			"$bin" sync -c "$work/scale.yaml" --log-level debug --log-format json
		waits=$(grep -c '"msg":"rate limit: waiting"' "$work/sync.err" || true)
		held=$(grep -c '"msg":"rate limited: holding requests"' "$work/sync.err" || true)
		read -r n throttled minutes rate most share < <(pace_stats "$work/emulator.log")
		refused=$(grep '"msg":"aircourse emulator request"' "$work/emulator.log" | grep -c '"status":401' || true)
		paced_notes+=("paced sample, $window window${PACED_READINGS:+ (+$PACED_READINGS)}: $n requests, $rate a minute over the first $minutes whole minutes, at most $most in any 60 s; $throttled answered 429 ($share%), $refused answered 401 (emulator log); orgbridge's pacer waited $waits times before sending and was told to hold (429/503 Retry-After) $held times")
		stop_emulator
		if awk -v s="$share" 'BEGIN { exit !(s >= 0.5) }'; then
			paced_failed+="${paced_failed:+; }$window window: $throttled of $n requests answered 429 ($share%)"
		fi
	done
fi

print_table
echo "peak RSS is orgbridge's alone; the emulator peaked at ${emu_rss} MB (VmHWM) holding $USERS users."
[[ -z $first_changes ]] || echo "first sync applied $first_changes changes (objects written); requests per change: $(awk -v r="$first_requests" -v c="$first_changes" 'BEGIN { printf "%.2f", (c > 0 ? r / c : 0) }')."
[[ -z $gen_note ]] || echo "export: $gen_note"
for note in "${paced_notes[@]}"; do echo "$note"; done
[[ -z $paced_failed ]] || die "pacing failed, want under 0.5% 429s: $paced_failed"
