#!/usr/bin/env bash
# bench.sh: orgbridge's figures in one markdown table, with the machine
# they were measured on (`make bench` runs it; README → Performance holds
# its output between the bench-table markers, regenerated, never edited by
# hand: BENCH_README=1 writes it there).
#
#   scripts/bench.sh                    (default 100,000 users for scale)
#
# Rows, each from the benchmark or script that measures it:
#   scale    scripts/scale.sh BENCH_USERS (PACED_USERS=0): plan, first
#            sync and a sync with nothing to change, bin/orgbridge against
#            `orgbridge emulate aircourse --rate-limit off` on loopback;
#            BENCH_1M=1 adds 1,000,000 users in `orgbridge gen`'s tree of
#            10,117 orgs (BENCH_1M_ORGS on the deepest level, default
#            10000), the steps of BENCH_1M_STEPS (default "plan"; "plan
#            first nochange" for the no-change row, which needs a first
#            sync of a million users before it).
#   LDAP     connectors/ldap BenchmarkRead (a throwaway slapd loaded with
#            BENCH_LDAP_USERS entries, default 100000; as
#            scripts/ldap-bench.sh runs it, one run here) and BenchmarkUsers
#            (the users search decoded from memory, no slapd).
#   SCIM     scim BenchmarkCreateUser, BenchmarkFilterExternalID10k,
#            BenchmarkSourceRead10k and rows of BenchmarkAt100k (SQLite on
#            disk, through the handler).
#   push     cmd/orgbridge BenchmarkSCIMPushLatency: a POST to `orgbridge
#            serve` until the user is in the AirCourse emulator.
#   load     `orgbridge loadgen scim`: GET by userName filter, POST and
#            PATCH with BENCH_LOAD_CLIENTS clients (default 8), at most
#            BENCH_LOAD_REQUESTS requests (default 20000) or
#            BENCH_LOAD_DURATION (default 20s) a phase, against `orgbridge
#            serve` on loopback over 100,000 stored users.
#
# The 100,000 SCIM users are stored once into BENCH_CACHE/scim100k.db
# (default ~/.cache/orgbridge-bench; a few minutes the first time) and
# copied for each use, by BenchmarkAt100k (ORGBRIDGE_BENCH_100K) and by
# loadgen alike: the same users in the same shape. BENCH_SKIP lists rows
# to leave out (scale, ldap, scim, push, load). Times on a shared machine
# vary by ±30% or more; counts do not. Every step runs under `timeout`.
set -euo pipefail

BENCH_USERS=${BENCH_USERS:-100000}
BENCH_1M=${BENCH_1M:-0}
BENCH_1M_ORGS=${BENCH_1M_ORGS:-10000}
BENCH_1M_STEPS=${BENCH_1M_STEPS:-plan}
BENCH_1M_USERS=${BENCH_1M_USERS:-1000000} # smaller to try the rows quickly
BENCH_LDAP_USERS=${BENCH_LDAP_USERS:-100000}
BENCH_LOAD_CLIENTS=${BENCH_LOAD_CLIENTS:-8}
BENCH_LOAD_REQUESTS=${BENCH_LOAD_REQUESTS:-20000}
BENCH_LOAD_DURATION=${BENCH_LOAD_DURATION:-20s}
BENCH_CACHE=${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/orgbridge-bench}
BENCH_SKIP=${BENCH_SKIP:-}
BENCH_README=${BENCH_README:-0}
STEP_TIMEOUT=${STEP_TIMEOUT:-1800} # seconds, per step
GO=${GO:-go}

case $BENCH_USERS in '' | *[!0-9]* | 0) echo "bench.sh: BENCH_USERS must be a positive integer, not '$BENCH_USERS'" >&2; exit 2 ;; esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bin=$root/bin/orgbridge
tmp=$(mktemp -d "${TMPDIR:-/tmp}/orgbridge-bench.XXXXXX")
serve_pid=""
cleanup() {
	if [[ -n $serve_pid ]]; then
		kill "$serve_pid" 2>/dev/null || true
		wait "$serve_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
	echo "bench.sh: $*" >&2
	exit 1
}
skip() { [[ " $BENCH_SKIP " == *" $1 "* ]]; }
step() { echo "== $*" >&2; }

# The machine, before anything of ours runs.
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null | sed 's/[[:space:]]*$//')
cores=$(nproc 2>/dev/null || echo '?')
load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo n/a)
mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null || echo '?')
rev=$(git rev-parse --short HEAD 2>/dev/null || echo '?')
dirty=$(git status --porcelain --untracked-files=no 2>/dev/null | head -n 1)

step "building bin/orgbridge"
CGO_ENABLED=0 "$GO" build -o "$bin" ./cmd/orgbridge

rows=()
row() { rows+=("| $1 | $2 | $3 | $4 |"); }

# metric FILE NAME UNIT: the value before UNIT on the benchmark line NAME
# (a regular expression for the name without its -GOMAXPROCS suffix).
metric() {
	grep -E "^$2(-[0-9]+)?[[:space:]]" "$1" | tail -n 1 |
		awk -v unit="$3" '{ for (i = 2; i <= NF; i++) if ($i == unit) { print $(i-1); found = 1 } } END { exit !found }'
}
# fmt_ms NS: nanoseconds as milliseconds, two figures after the point
# under 10 ms, one under 100, none above.
fmt_ms() { awk -v n="$1" 'BEGIN { m = n / 1e6; if (m < 10) printf "%.2f ms", m; else if (m < 100) printf "%.1f ms", m; else printf "%.0f ms", m }'; }
num() { awk -v n="$1" 'BEGIN { printf "%.0f", n }' | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }

# gobench NAME PKG BENCH BENCHTIME [ENV...]: go test -bench into
# $tmp/NAME.txt; the output is kept whole for the figures.
gobench() {
	local name=$1 pkg=$2 bench=$3 benchtime=$4
	shift 4
	step "go test -bench '$bench' -benchtime $benchtime $pkg"
	if ! env "$@" timeout "$STEP_TIMEOUT" "$GO" test -run '^$' -bench "$bench" -benchtime "$benchtime" -benchmem -timeout 0 "$pkg" >"$tmp/$name.txt" 2>&1; then
		tail -n 40 "$tmp/$name.txt" >&2
		die "$name: the benchmark failed"
	fi
}

# seed100k: the kept database of 100,000 SCIM users.
seed100k() {
	mkdir -p "$BENCH_CACHE"
	scimdb=$BENCH_CACHE/scim100k.db
	step "SCIM users: $scimdb (stored the first time)"
	timeout "$STEP_TIMEOUT" "$bin" loadgen scim --db "$scimdb" --users 100000 --seed-only --log-level warn
}

# 1. Scale (scripts/scale.sh). scale_rows USERS ORGS STEPS: without ORGS
# the demo's export (7 orgs, as issue 13's 100k rows), with ORGS
# `orgbridge gen`'s tree of ORGS orgs on 3 levels, fan-out 87 (10,117 orgs
# for 10,000) and memberships 15% of the users.
scale_rows() {
	local users=$1 orgs=$2 steps=$3 out=$tmp/scale-$1.txt
	step "scripts/scale.sh $users${orgs:+ (ORGS=$orgs)}, steps: $steps"
	local env=(PACED_USERS=0 STEPS="$steps" GO="$GO")
	[[ -n $orgs ]] && env+=(ORGS="$orgs" FANOUT=87)
	if ! env "${env[@]}" timeout "$STEP_TIMEOUT" bash scripts/scale.sh "$users" >"$out" 2>&1; then
		tail -n 40 "$out" >&2
		die "scale.sh $users failed"
	fi
	# | step | users | wall s | users/s | peak RSS MB | requests | writes | 429s |
	field() { echo "$1" | awk -F'|' -v c="$2" '{ gsub(/^ +| +$/, "", $(c+1)); print $(c+1) }'; }
	local label what plan first nochange
	label=$(num "$users")
	what="$label users, the demo's 7 orgs"
	if [[ -n $orgs ]]; then
		# From gen's summary: "…, 10117 orgs in 3 levels (…), 100 groups, 150000 memberships".
		local norgs nmem
		norgs=$(grep -oE '[0-9]+ orgs in' "$out" | head -n 1 | grep -oE '[0-9]+' || echo "$orgs")
		nmem=$(grep -oE '[0-9]+ memberships' "$out" | head -n 1 | grep -oE '[0-9]+' || echo 0)
		what="$label users, $(num "$norgs") orgs (3 levels), $(num "$nmem") memberships"
	fi
	plan=$(grep -E '^\| plan \|' "$out" | head -n 1 || true)
	first=$(grep -E '^\| sync \(first\) \|' "$out" | head -n 1 || true)
	nochange=$(grep -E '^\| sync \(no change\) \|' "$out" | head -n 1 || true)
	local goal_plan="—" goal_nc="—"
	if [[ $users == 1000000 ]]; then goal_plan="under 10 s and 2 GiB; linear in users"; goal_nc="under 40 s and 2 GiB"; fi
	if [[ $users == 100000 ]]; then goal_nc="under 4 s"; fi
	[[ -n $plan ]] && row "scale" "plan, $what, empty target" "$(field "$plan" 3) s, $(field "$plan" 5) MB RSS" "$goal_plan"
	[[ -n $nochange ]] && row "scale" "sync with nothing to change, $what" \
		"$(field "$nochange" 3) s, $(field "$nochange" 6) requests, $(field "$nochange" 7) writes, $(field "$nochange" 5) MB RSS" "$goal_nc"
	if [[ -n $first ]]; then
		local changes per=""
		changes=$(sed -n 's/^first sync applied \([0-9]*\) changes.*/\1/p' "$out" | head -n 1)
		[[ -n $changes && $changes -gt 0 ]] &&
			per=" ($(awk -v r="$(field "$first" 6)" -v c="$changes" 'BEGIN { printf "%.2f", r / c }') per object written: $(num "$changes") changes)"
		row "scale" "first sync, $what, no rate limit" "$(field "$first" 3) s, $(num "$(field "$first" 6)") requests$per, $(field "$first" 5) MB RSS" "≤ 1 request per object"
	fi
	return 0
}
if ! skip scale; then
	scale_rows "$BENCH_USERS" "" "plan first nochange"
	[[ $BENCH_1M == 1 ]] && scale_rows "$BENCH_1M_USERS" "$BENCH_1M_ORGS" "$BENCH_1M_STEPS"
fi

# 2. LDAP.
if ! skip ldap; then
	step "connectors/ldap BenchmarkRead, $BENCH_LDAP_USERS entries in a throwaway slapd"
	out=$tmp/ldap.txt
	# CI=true: a missing slapd fails the benchmark instead of skipping it.
	if ! (cd connectors/ldap && CI=true ORGBRIDGE_LDAP_BENCH_USERS=$BENCH_LDAP_USERS timeout "$STEP_TIMEOUT" \
		"$GO" test -run '^$' -bench '^BenchmarkRead$' -benchtime 3x -timeout 0 .) >"$out" 2>&1; then
		tail -n 40 "$out" >&2
		die "connectors/ldap BenchmarkRead failed (slapd: apt-get install slapd ldap-utils)"
	fi
	src=$(metric "$out" BenchmarkRead/source entries/s)
	cli=$(metric "$out" BenchmarkRead/ldapsearch entries/s)
	paired=$(metric "$out" BenchmarkRead/paired ratio)
	heap=$(metric "$out" BenchmarkRead/source peak-heap-MB)
	row "LDAP" "source read of $(num "$BENCH_LDAP_USERS") users from slapd, pages of 1000" \
		"$(num "$src") entries/s, $(awk -v a="$src" -v b="$cli" 'BEGIN { printf "%.2f", a / b }') of ldapsearch's (paired $(printf '%.2f' "$paired")), peak heap +$(printf '%.0f' "$heap") MB" \
		"≥ 0.80 of ldapsearch, heap < 200 MB"
	gobench ldapusers ./connectors/ldap '^BenchmarkUsers$/^plain$' 5x ORGBRIDGE_LDAP_BENCH_USERS=100000
	f=$tmp/ldapusers.txt
	row "LDAP" "users search of 100,000 entries decoded into records from pages in memory, no slapd (BenchmarkUsers/plain)" \
		"$(printf '%.0f' "$(metric "$f" BenchmarkUsers/plain ns/entry)") ns/entry, $(printf '%.0f' "$(metric "$f" BenchmarkUsers/plain cpu-ns/entry)") ns CPU, $(printf '%.0f' "$(metric "$f" BenchmarkUsers/plain B/entry)") B and $(printf '%.1f' "$(metric "$f" BenchmarkUsers/plain allocs/entry)") allocations an entry" "—"
fi

# 3. SCIM, through the handler.
if ! skip scim || ! skip load; then
	seed100k
fi
if ! skip scim; then
	gobench scim ./scim '^(BenchmarkCreateUser|BenchmarkFilterExternalID10k|BenchmarkSourceRead10k)$' 50x
	f=$tmp/scim.txt
	row "SCIM" "POST /Users, stored before the 201 (BenchmarkCreateUser)" "$(fmt_ms "$(metric "$f" BenchmarkCreateUser ns/op)"), $(metric "$f" BenchmarkCreateUser cpu-ms/op) ms CPU" "—"
	row "SCIM" "externalId eq among 10,000 users (BenchmarkFilterExternalID10k)" "$(fmt_ms "$(metric "$f" BenchmarkFilterExternalID10k ns/op)")" "—"
	row "SCIM" "the scim source's read of 10,000 users in 20 groups (BenchmarkSourceRead10k)" "$(fmt_ms "$(metric "$f" BenchmarkSourceRead10k ns/op)")" "—"
	gobench scim100k ./scim '^BenchmarkAt100k$/^(userName_eq|emails\.value_eq|userName_co|meta\.lastModified_gt|page_middle)$' 50x ORGBRIDGE_BENCH_100K="$scimdb"
	f=$tmp/scim100k.txt
	for sub in userName_eq emails.value_eq userName_co meta.lastModified_gt page_middle; do
		re=BenchmarkAt100k/${sub//./\\.}
		label=$sub
		case $sub in
		userName_eq) label='`userName eq`' ;;
		emails.value_eq) label='`emails.value eq`' ;;
		userName_co) label='`userName co` (10 users)' ;;
		meta.lastModified_gt) label='`meta.lastModified gt` (a page of 100 of the last ~5,000 writes)' ;;
		page_middle) label='a page of 100 from the middle, no filter' ;;
		esac
		row "SCIM" "GET $label among 100,000 users (BenchmarkAt100k)" "$(fmt_ms "$(metric "$f" "$re" ns/op)"), $(metric "$f" "$re" cpu-ms/op) ms CPU" "—"
	done
fi

# 4. Push latency.
if ! skip push; then
	gobench push ./cmd/orgbridge '^BenchmarkSCIMPushLatency$' 20x
	f=$tmp/push.txt
	row "push" "POST /Users to \`orgbridge serve\` until the user is in AirCourse (debounce 200 ms; BenchmarkSCIMPushLatency)" \
		"$(metric "$f" BenchmarkSCIMPushLatency p50-ms) ms median, $(metric "$f" BenchmarkSCIMPushLatency max-ms) ms worst of 20" "—"
fi

# 5. SCIM under load: orgbridge serve over a copy of the 100,000 users.
if ! skip load; then
	step "orgbridge serve over a copy of $scimdb"
	cp "$scimdb" "$tmp/load.db"
	[[ -f $scimdb-wal ]] && cp "$scimdb-wal" "$tmp/load.db-wal"
	# The endpoint alone: serve wants a job, and this one never runs (no
	# schedule, and its source is not scim, so no push triggers it; no
	# mapping of a scim job checks the pushes either).
	mkdir -p "$tmp/demo"
	cp configs/demo/users.csv "$tmp/demo/users.csv"
	cat >"$tmp/serve.yaml" <<-EOF
		store:
		  driver: sqlite
		  path: load.db
		scim:
		  listen: 127.0.0.1:0
		  tokens:
		    - env: BENCH_SCIM_TOKEN
		jobs:
		  - name: idle
		    source:
		      type: csv
		      csv:
		        users:
		          path: demo/users.csv
		          key_column: 社員番号
		    mapping:
		      users:
		        login_id: "e{{.社員番号}}"
		        email: "{{.メールアドレス}}"
		        name: "{{.氏名}}"
		    target:
		      type: aircourse
		      aircourse:
		        base_url: http://127.0.0.1:9
		        client_id: unused
		        client_secret: {env: BENCH_SCIM_TOKEN}
	EOF
	BENCH_SCIM_TOKEN=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
	export BENCH_SCIM_TOKEN
	"$bin" serve -c "$tmp/serve.yaml" --log-level info --log-format json >"$tmp/serve.out" 2>"$tmp/serve.log" &
	serve_pid=$!
	url=""
	for _ in $(seq 200); do
		url=$(grep '"listener":"scim"' "$tmp/serve.log" 2>/dev/null | grep -o 'http://127\.0\.0\.1:[0-9]*' | head -n 1 || true)
		[[ -n $url ]] && break
		kill -0 "$serve_pid" 2>/dev/null || break
		sleep 0.1
	done
	[[ -n $url ]] || { cat "$tmp/serve.log" >&2; die "orgbridge serve did not start"; }
	# One loadgen run a phase, so that the server's CPU time (from /proc)
	# is counted for each.
	tck=$(getconf CLK_TCK 2>/dev/null || echo 100)
	serve_cpu() { awk '{ print $14 + $15 }' "/proc/$serve_pid/stat" 2>/dev/null || echo 0; }
	for op in get post patch; do
		step "orgbridge loadgen scim --url $url/scim/v2 --ops $op"
		cpu0=$(serve_cpu)
		timeout "$STEP_TIMEOUT" "$bin" loadgen scim --url "$url/scim/v2" --token-env BENCH_SCIM_TOKEN --users 100000 --ops "$op" \
			--concurrency "$BENCH_LOAD_CLIENTS" --requests "$BENCH_LOAD_REQUESTS" --duration "$BENCH_LOAD_DURATION" --log-level warn >"$tmp/load-$op.txt" ||
			{ cat "$tmp/load-$op.txt" >&2; die "loadgen --ops $op failed"; }
		cpu1=$(serve_cpu)
		# | request | requests | errors | requests/s | p50 ms | p99 ms | max ms | CPU ms/request |
		line=$(grep -E '^\| (GET|POST|PATCH) ' "$tmp/load-$op.txt" | head -n 1)
		[[ -n $line ]] || die "loadgen --ops $op: no row"
		label=$(echo "$line" | awk -F'|' '{ gsub(/^ +| +$/, "", $2); print $2 }')
		figure=$(echo "$line" | awk -F'|' -v c0="$cpu0" -v c1="$cpu1" -v tck="$tck" '{
			for (i = 2; i <= 9; i++) gsub(/^ +| +$/, "", $i)
			printf "%s requests/s, p50 %s ms, p99 %s ms; server CPU %.2f ms a request (%s requests)", $5, $6, $7, (c1 - c0) * 1000 / tck / $3, $3 }')
		goal="—"
		[[ $op == get ]] && goal="over 2,000 requests/s, p99 under 50 ms"
		row "SCIM load" "\`$label\` against \`orgbridge serve\`, 100,000 users, $BENCH_LOAD_CLIENTS clients (\`orgbridge loadgen scim\`)" "$figure" "$goal"
	done
	kill "$serve_pid" 2>/dev/null || true
	wait "$serve_pid" 2>/dev/null || true
	serve_pid=""
fi

# The table.
table=$tmp/table.md
{
	echo "Measured by \`make bench\` ($(date -u +%Y-%m-%d), $rev${dirty:+ with local changes}) on: $cpu, $cores cores, $mem, $("$GO" env GOVERSION), load average $load at the start."
	echo
	echo "| area | run | figure | goal |"
	echo "| --- | --- | --- | --- |"
	printf '%s\n' "${rows[@]}"
} >"$table"
echo
cat "$table"

# BENCH_README=1: the table into README → Performance, between the markers.
if [[ $BENCH_README == 1 ]]; then
	begin='<!-- bench-table: begin (make bench writes this; BENCH_README=1 make bench) -->'
	end='<!-- bench-table: end -->'
	grep -qF "$begin" README.md && grep -qF "$end" README.md || die "README.md lacks the bench-table markers"
	awk -v begin="$begin" -v end="$end" -v table="$table" '
		$0 == begin { print; print ""; while ((getline line < table) > 0) print line; print ""; skipping = 1; next }
		$0 == end { skipping = 0 }
		!skipping { print }' README.md >"$tmp/README.md"
	cp "$tmp/README.md" README.md
	echo "bench.sh: README.md's table rewritten" >&2
fi
