#!/usr/bin/env bash
# Shared setup of the test-awscli-*.sh scripts (sourced, never run on its own): checks the
# tools, builds, starts `portico serve` and the example backend (NATS and HTTP) on free ports
# with a temporary data dir, cleans every process up on exit, and defines the assertions,
# the CLI wrappers apigw/apigw2 and wait_served/wait_gone (poll the edge's /@portico/stages).
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  echo "test-awscli-lib.sh is sourced by the other test-awscli-*.sh scripts; nothing to run on its own"
  exit 0
fi
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

need() {
  if ! command -v "$1" >/dev/null 2>&1; then
    if [ "${CI:-}" = "true" ]; then echo "FAIL: $1 is required (install it, .ci/run does)" >&2; exit 1; fi
    echo "SKIP: $1 not installed (apt-get install awscli curl python3)"; exit 0
  fi
}
need aws; need curl; need python3

fail() { echo "FAIL: $*" >&2; exit 1; }
# expect NAME GOT WANT
expect() { [ "$2" = "$3" ] || fail "$1: got [$2], want [$3]"; echo "ok  $1"; }
# contains NAME HAYSTACK NEEDLE
contains() { [[ "$2" == *"$3"* ]] || fail "$1: [$2] does not contain [$3]"; echo "ok  $1"; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

make -s build >/dev/null

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

HTTP="127.0.0.1:$(free_port)"
ADMIN="127.0.0.1:$(free_port)"
NATS="127.0.0.1:$(free_port)"
PETHTTP="127.0.0.1:$(free_port)"
export PORTICO_ADMIN_ACCESS_KEY_ID=scriptkey PORTICO_ADMIN_SECRET_ACCESS_KEY=scriptsecret
export AWS_ACCESS_KEY_ID=scriptkey AWS_SECRET_ACCESS_KEY=scriptsecret AWS_DEFAULT_REGION=us-east-1
export AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

bin/portico serve --http-addr "$HTTP" --admin-addr "$ADMIN" --nats-addr "$NATS" --data-dir "$tmp/data" \
  --log-level warn >"$tmp/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://$ADMIN/" && curl -s -o /dev/null "http://$HTTP/@portico/health" && break
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$tmp/serve.log" >&2; fail "portico serve exited"; }
  sleep 0.1
done
bin/petstore --nats "nats://$NATS" >"$tmp/pet.log" 2>&1 &
pids+=($!)
bin/petstore --http "$PETHTTP" >"$tmp/pethttp.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -s -o /dev/null "http://$PETHTTP/pets" && break; sleep 0.1; done

apigw() { aws apigateway --endpoint-url "http://$ADMIN" --region us-east-1 "$@"; }
apigw2() { aws apigatewayv2 --endpoint-url "http://$ADMIN" --region us-east-1 "$@"; }

# wait_served API STAGE DEPLOYMENT: poll the edge until it serves that deployment (5 s).
wait_served() {
  local want="\"apiId\":\"$1\",\"stage\":\"$2\",\"deploymentId\":\"$3\""
  for _ in $(seq 1 100); do
    [[ "$(curl -s "http://$HTTP/@portico/stages")" == *"$want"* ]] && return 0
    sleep 0.05
  done
  fail "edge never served $1/$2 at deployment $3: $(curl -s "http://$HTTP/@portico/stages")"
}
# wait_gone API STAGE: poll the edge until it no longer serves the stage.
wait_gone() {
  for _ in $(seq 1 100); do
    [[ "$(curl -s "http://$HTTP/@portico/stages")" != *"\"apiId\":\"$1\",\"stage\":\"$2\""* ]] && return 0
    sleep 0.05
  done
  fail "edge still serves $1/$2"
}
