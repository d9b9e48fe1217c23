#!/usr/bin/env bash
# scim-conformance.sh: run Microsoft's SCIM test collection
# (shared/conformance/entra-scim-postman.json, MIT) with newman against a
# started `orgbridge serve`.
#
#   scripts/scim-conformance.sh [COLLECTION]    (`make scim-conformance` runs it)
#
# It builds bin/orgbridge, starts an AirCourse emulator and `orgbridge serve`
# on free loopback ports with a throwaway store and a random token, and runs
# the collection with newman (NEWMAN, default `newman` on PATH; .ci/run
# installs it from the npm registry). Three adjustments are made to a copy
# of the collection, each because of the collection itself:
#   - the "Get Token" folder is left out: it asks Microsoft's reference
#     server for a token at /Token, which is not part of SCIM; orgbridge's
#     tokens come from its config, and the run passes one;
#   - "Get ServiceProviderConfig" is left out: it requests
#     /serviceConfiguration, a path of Microsoft's reference server; SCIM's
#     is /ServiceProviderConfig, which the Go tests check;
#   - the collection gets bearer auth with that token at its top level: the
#     two last requests ("Get all users", "Get all groups") carry no auth of
#     their own and would otherwise inherit none.
# Every other request runs as written. The script exits non-zero if any
# assertion fails, and prints newman's report.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# The shared conformance material is the source of truth when it is beside
# the checkout; the copy in scim/testdata (MIT, licence beside it) serves a
# checkout alone.
collection=${1:-$root/../shared/conformance/entra-scim-postman.json}
[ -f "$collection" ] || [ -n "${1:-}" ] || collection=$root/scim/testdata/conformance/entra-scim-postman.json
NEWMAN=${NEWMAN:-newman}
GO=${GO:-go}

if [ ! -f "$collection" ]; then
	echo "scim-conformance.sh: no collection at $collection" >&2
	exit 2
fi
if ! command -v "$NEWMAN" >/dev/null; then
	echo "scim-conformance.sh: newman not found (npm install -g newman@6.2.2, or set NEWMAN)" >&2
	exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/orgbridge-scim.XXXXXX")
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
	node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
wait_port() {
	for _ in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	echo "scim-conformance.sh: nothing listens on port $1" >&2
	return 1
}

cd "$root"
$GO build -o bin/orgbridge ./cmd/orgbridge
emu_port=$(free_port)
scim_port=$(free_port)
token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')

cat >"$tmp/orgbridge.yaml" <<EOF
store:
  path: orgbridge.db
log:
  format: json
scim:
  listen: 127.0.0.1:$scim_port
  tokens:
    - env: SCIM_TOKEN
  debounce: 1s
jobs:
  - name: scim-to-aircourse
    source:
      type: scim
      scim:
        groups_as: groups
    mapping:
      # No e-mail in this mapping: the collection gives several users the
      # same e-mail (testing@bob.com and others), which a mapping that maps
      # e-mail refuses at the door with 409 uniqueness, as it should; the
      # collection tests the protocol, not that rule (scim/admission tests
      # it).
      users:
        login_id: "{{.userName}}"
        name: '{{if .displayName}}{{.displayName}}{{else}}{{.userName}}{{end}}'
        groups:
          template: "{{.groups}}"
        suspended:
          - template: "{{.active}}"
            equals: "false"
      groups:
        name: "{{.displayName}}"
    target:
      type: aircourse
      aircourse:
        base_url: http://127.0.0.1:$emu_port
        client_id: 6f1c2a7e-3b4d-4e5f-8a9b-0c1d2e3f4a5b
        client_secret:
          env: AIRCOURSE_CLIENT_SECRET
EOF

bin/orgbridge emulate aircourse --addr "127.0.0.1:$emu_port" --rate-limit off >"$tmp/emulator.log" 2>&1 &
pids+=($!)
SCIM_TOKEN=$token AIRCOURSE_CLIENT_SECRET=demo-secret bin/orgbridge serve -c "$tmp/orgbridge.yaml" >"$tmp/serve.log" 2>&1 &
pids+=($!)
wait_port "$emu_port"
wait_port "$scim_port" || { cat "$tmp/serve.log"; exit 1; }

node - "$collection" "$tmp/collection.json" <<'EOF'
const fs = require("fs");
const [src, dst] = process.argv.slice(2);
const c = JSON.parse(fs.readFileSync(src, "utf8"));
const skip = new Set(["Get Token", "Get ServiceProviderConfig"]);
const prune = (items) => items.filter((it) => !skip.has(it.name)).map((it) => (it.item ? { ...it, item: prune(it.item) } : it));
c.item = prune(c.item);
c.auth = { type: "bearer", bearer: [{ key: "token", value: "{{token}}", type: "string" }] };
fs.writeFileSync(dst, JSON.stringify(c));
EOF

status=0
"$NEWMAN" run "$tmp/collection.json" \
	--env-var Protocol=http --env-var Server=127.0.0.1 --env-var "Port=:$scim_port" \
	--env-var Api=scim/v2 --env-var "token=$token" \
	--color off --disable-unicode --reporters cli || status=$?
if [ "$status" -ne 0 ]; then
	echo "--- orgbridge serve log (last 40 lines) ---"
	tail -n 40 "$tmp/serve.log"
fi
exit "$status"
