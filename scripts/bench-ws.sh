#!/usr/bin/env bash
# WebSocket benchmark: N idle connections on one edge (the edge's resident memory per
# connection, extrapolated to 100k) and broadcasts to every one of them (publish → socket read
# latency, p50/p99). The edge runs alone (`portico serve --services=edge`) next to a second
# `portico serve` with the other roles and the embedded NATS, so its RSS is the edge's own.
#
#   scripts/bench-ws.sh                 # N=10000 sockets, 20 broadcasts
#   N=20000 BROADCASTS=50 scripts/bench-ws.sh
#   CPUPROFILE=ws.pprof scripts/bench-ws.sh   # the edge's CPU profile of the broadcasts (go tool pprof)
#
# N is bounded by the open-file limit (each socket is a descriptor in the edge and in the load
# client). PORTICO_BIN skips `make build`.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10000}
BROADCASTS=${BROADCASTS:-20}
case "$N$BROADCASTS" in *[!0-9]*) echo "bench-ws: N and BROADCASTS must be numbers" >&2; exit 2 ;; esac
command -v curl >/dev/null || { echo "bench-ws: curl is required" >&2; exit 1; }
command -v python3 >/dev/null || { echo "bench-ws: python3 is required" >&2; exit 1; }

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
limit=$(ulimit -n)
if [ "$limit" != unlimited ] && [ "$N" -gt $((limit - 500)) ]; then
  echo "bench-ws: N=$N needs more than the open-file limit $limit allows; using $((limit - 500))" >&2
  N=$((limit - 500))
fi

if [ -z "${PORTICO_BIN:-}" ]; then
  make -s build >/dev/null
  PORTICO_BIN=bin/portico
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/portico-bench-ws.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
fail() { echo "bench-ws: $*" >&2; for f in "$work"/*.log; do [ -f "$f" ] && tail -5 "$f" >&2; done; exit 1; }

(cd e2e && go build -o "$work/wsload" ./cmd/wsload) || fail "building e2e/cmd/wsload"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
EDGE="127.0.0.1:$(free_port)"
ADMIN="127.0.0.1:$(free_port)"
NATSADDR="127.0.0.1:$(free_port)"
export PORTICO_ADMIN_ACCESS_KEY_ID=AKIDBENCHWS PORTICO_ADMIN_SECRET_ACCESS_KEY=bench-ws-secret

"$PORTICO_BIN" serve --services admin,authz,ratelimit,connections --admin-addr "$ADMIN" \
  --nats-addr "$NATSADDR" --data-dir "$work/data" --log-level warn >"$work/core.log" 2>&1 &
core=$!
pids+=($core)
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://$ADMIN/" && break
  kill -0 "$core" 2>/dev/null || fail "portico serve (core roles) exited"
  sleep 0.1
done
profile=()
edge_debug=()
if [ -n "${CPUPROFILE:-}" ]; then
  DEBUG="127.0.0.1:$(free_port)"
  edge_debug=(--debug-addr "$DEBUG")
  case "$CPUPROFILE" in /*) ;; *) CPUPROFILE="$PWD/$CPUPROFILE" ;; esac
  profile=(-pprof "$DEBUG" -cpuprofile "$CPUPROFILE")
fi
"$PORTICO_BIN" serve --services edge --nats "nats://$NATSADDR" --http-addr "$EDGE" --log-level warn "${edge_debug[@]}" \
  >"$work/edge.log" 2>&1 &
edge=$!
pids+=($edge)

# The WebSocket API, through admin's apigatewayv2 API signed by curl.
admin() { curl -sf --aws-sigv4 "aws:amz:us-east-1:apigateway" --user "$PORTICO_ADMIN_ACCESS_KEY_ID:$PORTICO_ADMIN_SECRET_ACCESS_KEY" \
  -H 'Content-Type: application/json' "$@"; }
field() { sed -nE "s/.*\"$1\": *\"([^\"]+)\".*/\\1/p"; }
api=$(admin -X POST -d '{"name":"bench-ws","protocolType":"WEBSOCKET","routeSelectionExpression":"$request.body.action"}' \
  "http://$ADMIN/v2/apis" | field apiId)
[ -n "$api" ] || fail "create-api failed"
admin -X POST -d '{"routeKey":"noop"}' "http://$ADMIN/v2/apis/$api/routes" >/dev/null || fail "create-route failed"
dep=$(admin -X POST -d '{}' "http://$ADMIN/v2/apis/$api/deployments" | field deploymentId)
[ -n "$dep" ] || fail "create-deployment failed"
admin -X POST -d "{\"stageName\":\"live\",\"deploymentId\":\"$dep\"}" "http://$ADMIN/v2/apis/$api/stages" >/dev/null ||
  fail "create-stage failed"
for _ in $(seq 1 100); do
  curl -s "http://$EDGE/@portico/stages" | grep -q "\"$dep\"" && break
  sleep 0.1
done
curl -s "http://$EDGE/@portico/stages" | grep -q "\"$dep\"" || fail "deployment not served by the edge"

echo "== WebSocket: $N idle connections on one edge, $BROADCASTS broadcasts to all of them ($(nproc) cores)"
"$work/wsload" -url "ws://$EDGE/restapis/$api/live/_user_request_" -nats "nats://$NATSADDR" \
  -api "$api" -stage live -n "$N" -broadcasts "$BROADCASTS" -pid "$edge" "${profile[@]}"
