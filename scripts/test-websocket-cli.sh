#!/usr/bin/env bash
# WebSocket API end to end with real clients: the AWS CLI creates a WebSocket API through admin
# (apigatewayv2), wscat holds a socket on the edge, and the AWS CLI's apigatewaymanagementapi
# post-to-connection / get-connection / delete-connection (path-style endpoint, SigV4 with the
# admin credentials) and botocore (host-style endpoint) reach it; unsigned calls are 403.
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
HTTP="127.0.0.1:$(free_port)"
ADMIN="127.0.0.1:$(free_port)"
NATSADDR="127.0.0.1:$(free_port)"
work=$(mktemp -d)
pids=()
cleanup() {
  exec 3>&- 2>/dev/null || true
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

fail() { echo "FAIL: $*" >&2; [ -f "$work/serve.log" ] && tail -20 "$work/serve.log" >&2; exit 1; }

export PORTICO_ADMIN_ACCESS_KEY_ID=AKIDWSCLITEST PORTICO_ADMIN_SECRET_ACCESS_KEY=ws-cli-test-secret
export AWS_ACCESS_KEY_ID=$PORTICO_ADMIN_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$PORTICO_ADMIN_SECRET_ACCESS_KEY
export AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN

"$PORTICO_BIN" serve --http-addr "$HTTP" --admin-addr "$ADMIN" --nats-addr "$NATSADDR" \
  --data-dir "$work/data" --log-level warn >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://$ADMIN/" && break
  kill -0 "${pids[0]}" 2>/dev/null || fail "portico serve exited"
  sleep 0.1
done

v2() { aws apigatewayv2 --endpoint-url "http://$ADMIN" --region us-east-1 "$@"; }
api=$(v2 create-api --name wscli --protocol-type WEBSOCKET \
  --route-selection-expression '$request.body.action' --query ApiId --output text)
# One custom route without a $default: any other message gets AWS's Forbidden error frame,
# which carries the connection id.
v2 create-route --api-id "$api" --route-key noop >/dev/null
dep=$(v2 create-deployment --api-id "$api" --query DeploymentId --output text)
v2 create-stage --api-id "$api" --stage-name live --deployment-id "$dep" >/dev/null
for _ in $(seq 1 100); do
  curl -s "http://$HTTP/@portico/stages" | grep -q "\"$dep\"" && break
  sleep 0.1
done
curl -s "http://$HTTP/@portico/stages" | grep -q "\"$dep\"" || fail "deployment $dep not served by the edge"

base="http://$HTTP/restapis/$api/live/_user_request_"
# wscat reads the lines to send from a FIFO held open on fd 3 (it exits at end of input).
mkfifo "$work/wscat.in"
wscat --no-color -c "ws://$HTTP/restapis/$api/live/_user_request_" <"$work/wscat.in" >"$work/wscat.out" 2>&1 &
wscat_pid=$!
pids+=($wscat_pid)
exec 3>"$work/wscat.in"
# A line typed before the socket opens is dropped by wscat: type until the answer comes.
id=""
for _ in $(seq 1 50); do
  echo '{"action":"whoami"}' >&3
  sleep 0.2
  id=$(sed -nE 's/.*"connectionId":"([^"]+)".*/\1/p' "$work/wscat.out" | head -1)
  [ -n "$id" ] && break
done
[ -n "$id" ] || fail "no error frame with a connection id; wscat printed: $(cat "$work/wscat.out")"
grep -q '"message":"Forbidden"' "$work/wscat.out" || fail "error frame is not Forbidden: $(cat "$work/wscat.out")"
echo "ok: wscat connected, error frame for an unrouted message names connection $id"

mgmt() { aws apigatewaymanagementapi --endpoint-url "$base" --region us-east-1 "$@"; }
wait_for() { # wait_for TEXT: wscat printed TEXT
  for _ in $(seq 1 100); do grep -qF -- "$1" "$work/wscat.out" && return 0; sleep 0.1; done
  fail "wscat never printed '$1': $(cat "$work/wscat.out")"
}

# The registry learns of the socket a moment after the handshake: retry the first post.
for _ in $(seq 1 50); do
  mgmt post-to-connection --connection-id "$id" --data 'hello from the aws cli' 2>"$work/err" && break
  sleep 0.1
done
wait_for 'hello from the aws cli'
echo "ok: aws apigatewaymanagementapi post-to-connection delivered"

info=$(mgmt get-connection --connection-id "$id" --output json)
grep -q '"SourceIp": "127.0.0.1"' <<<"$info" || fail "get-connection: no Identity.SourceIp 127.0.0.1: $info"
grep -q '"ConnectedAt"' <<<"$info" || fail "get-connection: no ConnectedAt: $info"
grep -q '"LastActiveAt"' <<<"$info" || fail "get-connection: no LastActiveAt: $info"
echo "ok: get-connection answers ConnectedAt, Identity.SourceIp, LastActiveAt"

# Unsigned, and signed with a wrong secret: AWS's 403.
code=$(curl -s -o "$work/body" -w '%{http_code}' -X POST --data 'unsigned' "$base/@connections/$id")
[ "$code" = 403 ] || fail "unsigned POST @connections = $code $(cat "$work/body"), want 403"
code=$(curl -s -o "$work/body" -w '%{http_code}' --aws-sigv4 "aws:amz:us-east-1:execute-api" \
  --user "$AWS_ACCESS_KEY_ID:wrong" -X POST --data 'forged' "$base/@connections/$id")
[ "$code" = 403 ] || fail "wrongly signed POST @connections = $code $(cat "$work/body"), want 403"
if AWS_SECRET_ACCESS_KEY=wrong mgmt post-to-connection --connection-id "$id" --data forged 2>"$work/err"; then
  fail "post-to-connection with a wrong secret succeeded"
fi
grep -q 'InvalidSignatureException\|403' "$work/err" || fail "wrong secret: $(cat "$work/err")"
grep -q 'unsigned\|forged' "$work/wscat.out" && fail "a refused call reached the socket"
echo "ok: unsigned and wrongly signed @connections calls are 403"

# Host-style endpoint ({apiId}.execute-api.localhost/{stage}/@connections/{id}), signed by
# botocore (the AWS CLI's signer) since that name does not resolve here. curl 7.x's --aws-sigv4
# cannot sign it: it does not encode the path's "=" as SigV4 requires, and AWS refuses that too.
port=${HTTP##*:}
status=$(python3 - "$HTTP" "$api.execute-api.localhost:$port" "/live/@connections/$id" <<'PY'
import sys, urllib.request
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
import os
addr, host, path = sys.argv[1:4]
req = AWSRequest(method="POST", url="http://" + host + path, data=b"hello host style", headers={"Host": host})
SigV4Auth(Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"]), "execute-api", "us-east-1").add_auth(req)
r = urllib.request.Request("http://" + addr + path, data=req.body, method="POST", headers=dict(req.headers.items()))
try:
    print(urllib.request.urlopen(r).status)
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
PY
)
[ "$status" = 200 ] || fail "host-style POST @connections = $status"
wait_for 'hello host style'
echo "ok: host-style POST @connections (botocore SigV4) delivered"

mgmt delete-connection --connection-id "$id"
for _ in $(seq 1 100); do kill -0 "$wscat_pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$wscat_pid" 2>/dev/null && fail "wscat still connected after delete-connection"
if mgmt get-connection --connection-id "$id" 2>"$work/err" >/dev/null; then
  for _ in $(seq 1 50); do
    mgmt get-connection --connection-id "$id" 2>"$work/err" >/dev/null || break
    sleep 0.1
  done
fi
grep -q GoneException "$work/err" || fail "get-connection after delete: $(cat "$work/err"), want GoneException"
echo "ok: delete-connection closed the socket; get-connection is then GoneException"
echo "PASS: scripts/test-websocket-cli.sh"
