#!/usr/bin/env bash
# WebSocket lifecycle across real processes: `portico serve` A (every role, embedded NATS) and
# `portico serve --services=edge` B on A's NATS; one wscat client on each edge.
#  - B is killed (SIGKILL): its connection is GoneException (410) from A's @connections within
#    seconds (the connections service drops a silent edge's sockets).
#  - A is stopped (SIGTERM): its socket is closed and the $disconnect route's HTTP integration
#    receives the call, with the connection id mapped from context.connectionId.
#
# Needs: aws (AWS CLI), wscat (npm i -g wscat), curl, python3. Under CI=true a missing tool fails
# the script; elsewhere it is skipped with a message. PORTICO_BIN skips `make build`.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in aws wscat curl python3; do
  if ! command -v "$tool" >/dev/null; then
    if [ "${CI:-}" = true ]; then echo "FAIL: $tool is required (CI=true)" >&2; exit 1; fi
    echo "SKIP: $tool not installed (wscat: npm install -g wscat)"; exit 0
  fi
done

if [ -z "${PORTICO_BIN:-}" ]; then
  make -s build >/dev/null
  PORTICO_BIN=bin/portico
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
HTTP_A="127.0.0.1:$(free_port)"
HTTP_B="127.0.0.1:$(free_port)"
ADMIN="127.0.0.1:$(free_port)"
NATSADDR="127.0.0.1:$(free_port)"
HOOK_PORT=$(free_port)
work=$(mktemp -d)
pids=()
cleanup() {
  exec 3>&- 4>&- 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
fail() {
  echo "FAIL: $*" >&2
  for f in serve-a.log serve-b.log; do [ -f "$work/$f" ] && { echo "--- $f" >&2; tail -15 "$work/$f" >&2; }; done
  exit 1
}

export PORTICO_ADMIN_ACCESS_KEY_ID=AKIDWSEDGETEST PORTICO_ADMIN_SECRET_ACCESS_KEY=ws-edge-test-secret
export AWS_ACCESS_KEY_ID=$PORTICO_ADMIN_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$PORTICO_ADMIN_SECRET_ACCESS_KEY
export AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN

# The $disconnect integration: an HTTP server that appends "PATH CONNECTION-ID" per call.
python3 - "$HOOK_PORT" "$work/hook.log" <<'PY' &
import sys, http.server
port, log = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with open(log, "a") as f:
            f.write("%s %s\n" % (self.path, self.headers.get("X-Connection-Id", "")))
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
pids+=($!)
touch "$work/hook.log"

"$PORTICO_BIN" serve --http-addr "$HTTP_A" --admin-addr "$ADMIN" --nats-addr "$NATSADDR" \
  --data-dir "$work/data" --edge-id edge-a --log-level warn >"$work/serve-a.log" 2>&1 &
serve_a=$!
pids+=($serve_a)
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://$ADMIN/" && break
  kill -0 "$serve_a" 2>/dev/null || fail "portico serve A exited"
  sleep 0.1
done
"$PORTICO_BIN" serve --services edge --nats "nats://$NATSADDR" --http-addr "$HTTP_B" --edge-id edge-b \
  --log-level warn >"$work/serve-b.log" 2>&1 &
serve_b=$!
pids+=($serve_b)

v2() { aws apigatewayv2 --endpoint-url "http://$ADMIN" --region us-east-1 "$@"; }
api=$(v2 create-api --name wsedges --protocol-type WEBSOCKET \
  --route-selection-expression '$request.body.action' --query ApiId --output text)
integ=$(v2 create-integration --api-id "$api" --integration-type HTTP --integration-method POST \
  --integration-uri "http://127.0.0.1:$HOOK_PORT/disconnect" \
  --request-parameters 'integration.request.header.X-Connection-Id=context.connectionId' \
  --query IntegrationId --output text)
v2 create-route --api-id "$api" --route-key '$disconnect' --target "integrations/$integ" >/dev/null
dep=$(v2 create-deployment --api-id "$api" --query DeploymentId --output text)
v2 create-stage --api-id "$api" --stage-name live --deployment-id "$dep" >/dev/null
for edge in "$HTTP_A" "$HTTP_B"; do
  for _ in $(seq 1 100); do
    curl -s "http://$edge/@portico/stages" | grep -q "\"$dep\"" && break
    sleep 0.1
  done
  curl -s "http://$edge/@portico/stages" | grep -q "\"$dep\"" || fail "deployment $dep not served by $edge"
done

# open_client FD EDGE NAME: wscat on EDGE reading lines from a FIFO on fd FD; sets client_id
# (from AWS's Forbidden error frame for a message no route takes) and client_pid.
open_client() {
  local fd=$1 edge=$2 name=$3 id=""
  mkfifo "$work/$name.in"
  wscat --no-color -c "ws://$edge/restapis/$api/live/_user_request_" <"$work/$name.in" >"$work/$name.out" 2>&1 &
  client_pid=$!
  pids+=($client_pid)
  eval "exec $fd>\"$work/$name.in\""
  for _ in $(seq 1 50); do
    echo '{"action":"whoami"}' >&"$fd"
    sleep 0.2
    id=$(sed -nE 's/.*"connectionId":"([^"]+)".*/\1/p' "$work/$name.out" | head -1)
    [ -n "$id" ] && break
  done
  [ -n "$id" ] || fail "$name: no connection id; wscat printed: $(cat "$work/$name.out")"
  client_id=$id
}
open_client 3 "$HTTP_B" client-b
id_b=$client_id
open_client 4 "$HTTP_A" client-a
id_a=$client_id client_a=$client_pid
echo "ok: wscat clients connected: $id_a on edge A, $id_b on edge B"

mgmt() { aws apigatewaymanagementapi --endpoint-url "http://$HTTP_A/restapis/$api/live/_user_request_" --region us-east-1 "$@"; }
ok=""
for _ in $(seq 1 50); do
  mgmt get-connection --connection-id "$id_b" >/dev/null 2>&1 && { ok=1; break; }
  sleep 0.1
done
[ -n "$ok" ] || fail "get-connection of B's socket through A never succeeded"
echo "ok: A answers get-connection for the socket B holds"

kill -9 "$serve_b"
wait "$serve_b" 2>/dev/null || true
start=$(date +%s)
gone=""
for _ in $(seq 1 150); do
  if ! mgmt get-connection --connection-id "$id_b" >/dev/null 2>"$work/err"; then
    grep -q GoneException "$work/err" && { gone=1; break; }
  fi
  sleep 0.1
done
[ -n "$gone" ] || fail "B's connection not gone 15 s after B was killed: $(cat "$work/err")"
echo "ok: B killed; its connection is GoneException after $(( $(date +%s) - start )) s"
mgmt get-connection --connection-id "$id_a" >/dev/null || fail "A's own connection lost with B"

kill -TERM "$serve_a"
for _ in $(seq 1 100); do
  grep -q "^/disconnect $id_a\$" "$work/hook.log" && break
  sleep 0.1
done
grep -q "^/disconnect $id_a\$" "$work/hook.log" || fail "no \$disconnect call for $id_a on A's drain: $(cat "$work/hook.log")"
for _ in $(seq 1 100); do kill -0 "$client_a" 2>/dev/null || break; sleep 0.1; done
kill -0 "$client_a" 2>/dev/null && fail "wscat on A still connected after A drained"
wait "$serve_a" || fail "portico serve A did not exit cleanly on SIGTERM"
echo "ok: A stopped with SIGTERM: socket closed, \$disconnect delivered to the HTTP integration"
echo "PASS: scripts/test-websocket-edges.sh"
