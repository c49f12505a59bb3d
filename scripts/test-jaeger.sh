#!/usr/bin/env bash
# Traces into a real Jaeger (v1.76.0, the v2 binary cmd/jaeger, built from tools/jaeger), asserted
# through its query API: one POST through an API-key route on a throttled stage must leave ONE
# trace whose spans (edge server span, authz, ratelimit, the petstore backend) form one tree.
#
# Jaeger cannot be `go install`ed (replace directives), so tools/jaeger is a module of its own
# (not in go.work) holding it as a `go tool`; the binary is built once into
# ${XDG_CACHE_HOME:-$HOME/.cache}/portico (several minutes cold, then reused). Every listener is on
# 127.0.0.1 at a free port (tools/jaeger/config.yaml reads them from the environment).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

JAEGER_VERSION=v1.76.0

skip_or_fail() {
  if [ "${CI:-}" = "true" ]; then echo "FAIL: $*" >&2; exit 1; fi
  echo "SKIP: $*"; exit 0
}
need() { command -v "$1" >/dev/null 2>&1 || skip_or_fail "$1 is required (apt-get install curl python3)"; }
need go; need curl; need python3

fail() { echo "FAIL: $*" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# Jaeger: reuse the cached binary of this exact go.sum, else build it (GOWORK=off: the tools
# module is deliberately outside go.work).
cache="${XDG_CACHE_HOME:-$HOME/.cache}/portico"
sum=$(python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest()[:12])' tools/jaeger/go.sum)
JAEGER="$cache/jaeger-$JAEGER_VERSION-$sum"
if [ ! -x "$JAEGER" ]; then
  echo "building Jaeger $JAEGER_VERSION into $JAEGER (the first build takes several minutes)"
  mkdir -p "$cache"
  if ! (cd tools/jaeger && GOWORK=off go build -o "$JAEGER.tmp.$$" github.com/jaegertracing/jaeger/cmd/jaeger); then
    rm -f "$JAEGER.tmp.$$"
    skip_or_fail "could not build Jaeger $JAEGER_VERSION (tools/jaeger)"
  fi
  mv "$JAEGER.tmp.$$" "$JAEGER"
fi

make -s build >/dev/null || fail "make build failed"

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM
logs() { for f in "$tmp"/*.log; do echo "--- $f" >&2; tail -n 30 "$f" >&2; done; }

export JAEGER_OTLP_HTTP="127.0.0.1:$(free_port)"
export JAEGER_QUERY_HTTP="127.0.0.1:$(free_port)"
export JAEGER_QUERY_GRPC="127.0.0.1:$(free_port)"
QUERY="http://$JAEGER_QUERY_HTTP"
"$JAEGER" --config tools/jaeger/config.yaml >"$tmp/jaeger.log" 2>&1 &
jaeger_pid=$!
pids+=($jaeger_pid)
for _ in $(seq 1 200); do
  curl -sf -o /dev/null "$QUERY/api/services" && break
  kill -0 "$jaeger_pid" 2>/dev/null || { logs; fail "jaeger exited"; }
  sleep 0.1
done
curl -sf -o /dev/null "$QUERY/api/services" || { logs; fail "jaeger's query API does not answer at $QUERY"; }

HTTP="127.0.0.1:$(free_port)"
ADMIN="127.0.0.1:$(free_port)"
NATS="127.0.0.1:$(free_port)"
export PORTICO_ADMIN_ACCESS_KEY_ID="${PORTICO_ADMIN_ACCESS_KEY_ID:-test}"
export PORTICO_ADMIN_SECRET_ACCESS_KEY="${PORTICO_ADMIN_SECRET_ACCESS_KEY:-test}"
export OTEL_EXPORTER_OTLP_ENDPOINT="http://$JAEGER_OTLP_HTTP" OTEL_BSP_SCHEDULE_DELAY=200

bin/portico serve --http-addr "$HTTP" --admin-addr "$ADMIN" --nats-addr "$NATS" --data-dir "$tmp/data" \
  --log-level warn >"$tmp/serve.log" 2>&1 &
serve_pid=$!
pids+=($serve_pid)
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://$ADMIN/" && curl -s -o /dev/null "http://$HTTP/@portico/health" && break
  kill -0 "$serve_pid" 2>/dev/null || { logs; fail "portico serve exited"; }
  sleep 0.1
done
bin/petstore --nats "nats://$NATS" >"$tmp/petstore.log" 2>&1 &
pids+=($!)

cat >"$tmp/api.yaml" <<'YAML'
openapi: 3.0.1
info:
  title: JaegerTrace
  version: "1.0"
paths:
  /pets:
    post:
      operationId: createPet
      security:
        - api_key: []
      x-amazon-apigateway-integration:
        type: nats_proxy
        uri: petstore.pets.create
components:
  securitySchemes:
    api_key:
      type: apiKey
      name: x-api-key
      in: header
YAML

json_get() { python3 -c 'import json,sys; print(json.load(sys.stdin).get(sys.argv[1],""))' "$1"; }
out=$(bin/portico import "$tmp/api.yaml" --stage s --admin "http://$ADMIN" -o json --throttle-rate 100 \
  --throttle-burst 100 2>"$tmp/cli.log") || { logs; fail "portico import: $(cat "$tmp/cli.log")"; }
api=$(json_get apiId <<<"$out")
url=$(json_get invokeUrl <<<"$out")
[ -n "$api" ] && [ -n "$url" ] || fail "portico import printed no apiId/invokeUrl: $out"
key=$(bin/portico apikey create --api "$api" --stage s --admin "http://$ADMIN" -o json 2>"$tmp/cli.log" | json_get value) \
  || fail "portico apikey create: $(cat "$tmp/cli.log")"
[ -n "$key" ] || fail "portico apikey create printed no value"

# The edge serves the stage once /@portico/stages lists it; the backend once its NATS
# service answers micro's PING (both polled, neither sends a request through the edge).
for _ in $(seq 1 100); do
  [[ "$(curl -s "http://$HTTP/@portico/stages")" == *"\"apiId\":\"$api\",\"stage\":\"s\""* ]] && break
  sleep 0.05
done
[[ "$(curl -s "http://$HTTP/@portico/stages")" == *"\"apiId\":\"$api\",\"stage\":\"s\""* ]] \
  || fail "edge never served $api/s: $(curl -s "http://$HTTP/@portico/stages")"
for _ in $(seq 1 100); do grep -q "petstore serving on NATS" "$tmp/petstore.log" && break; sleep 0.05; done
grep -q "petstore serving on NATS" "$tmp/petstore.log" || { logs; fail "petstore did not start"; }

# ONE request.
code=$(curl -s -o "$tmp/body" -w '%{http_code}' -X POST -H "x-api-key: $key" -H 'content-type: application/json' \
  -d '{"type":"bird","price":9.5}' "$url/pets")
[[ "$code" == 20[01] ]] || { logs; fail "POST /pets answered $code: $(cat "$tmp/body")"; }
echo "ok  POST /pets answered $code"

# Poll the query API until one trace holds the whole request (15 s).
check="$tmp/check.py"
cat >"$check" <<'PY'
import json, sys, urllib.parse, urllib.request

query, final = sys.argv[1], sys.argv[2] == "final"
SCOPES = {
    "edge": "github.com/portico/portico/services/edge",
    "authz": "github.com/portico/portico/services/authz",
    "ratelimit": "github.com/portico/portico/services/ratelimit",
    "backend": "github.com/portico/portico/pkg/backend",
}

def get(service, operation=""):
    q = urllib.parse.urlencode({"service": service, "operation": operation, "limit": 20} if operation
                               else {"service": service, "limit": 20})
    with urllib.request.urlopen(f"{query}/api/traces?{q}", timeout=5) as r:
        return json.load(r).get("data") or []

def tag(span, *keys):
    for t in span.get("tags", []):
        if t["key"] in keys:
            return str(t["value"])
    return ""

def examine(trace):
    """Returns a list of problems with trace (empty: it is the one we want)."""
    spans = {s["spanID"]: s for s in trace["spans"]}
    procs = trace.get("processes", {})
    problems = []
    found = {}
    for name, scope in SCOPES.items():
        hits = [s for s in spans.values() if tag(s, "otel.scope.name", "otel.library.name") == scope
                and tag(s, "span.kind") == "server"]
        if not hits:
            problems.append(f"no server span of {scope}")
        else:
            found[name] = hits[0]
    parents = {}
    for sid, s in spans.items():
        refs = [r for r in s.get("references", []) if r.get("refType") == "CHILD_OF"]
        if len(refs) > 1:
            problems.append(f"span {s['operationName']} has {len(refs)} parents")
        if refs:
            if refs[0]["traceID"] != trace["traceID"]:
                problems.append(f"span {s['operationName']} points into another trace")
            parents[sid] = refs[0]["spanID"]
    roots = [sid for sid in spans if sid not in parents]
    dangling = [spans[sid]["operationName"] for sid, p in parents.items() if p not in spans]
    if dangling:
        problems.append(f"spans whose parent is missing: {dangling}")
    if len(roots) != 1:
        problems.append(f"{len(roots)} roots: {[spans[r]['operationName'] for r in roots]}")
    if "edge" in found:
        edge = found["edge"]["spanID"]
        if roots and roots[0] != edge:
            problems.append(f"the root is {spans[roots[0]]['operationName']}, not the edge's server span")
        for name in ("authz", "ratelimit", "backend"):
            if name not in found:
                continue
            sid, seen = found[name]["spanID"], set()
            while sid in parents and sid not in seen:
                seen.add(sid)
                sid = parents[sid]
            if sid != edge:
                problems.append(f"{name} span {found[name]['operationName']} does not descend from the edge span")
    if "backend" in found:
        svc = procs.get(found["backend"].get("processID"), {}).get("serviceName")
        if svc != "petstore":
            problems.append(f"the backend span comes from service {svc!r}, want 'petstore'")
    if "edge" in found:
        svc = procs.get(found["edge"].get("processID"), {}).get("serviceName")
        if svc != "portico":
            problems.append(f"the edge span comes from service {svc!r}, want 'portico'")
    return problems, spans, parents

try:
    # portico also traces background work (heartbeats, lease renewals): ask for the traces
    # holding the edge's span of the route.
    portico, petstore = get("portico", "POST /pets"), get("petstore")
except Exception as e:  # the query API answers 404/500 until the service is known
    print(f"query API: {e}")
    sys.exit(1)
best = None
for trace in portico:
    problems, spans, parents = examine(trace)
    if not problems:
        if trace["traceID"] not in {t["traceID"] for t in petstore}:
            print(f"trace {trace['traceID']} is not listed under service petstore")
            sys.exit(1)
        def show(sid, depth):
            s = spans[sid]
            print(f"  {'  ' * depth}{s['operationName']} [{tag(s, 'otel.scope.name', 'otel.library.name')}, {tag(s, 'span.kind')}]")
            for c in sorted((c for c, p in parents.items() if p == sid), key=lambda c: spans[c]["startTime"]):
                show(c, depth + 1)
        print(f"trace {trace['traceID']}: {len(spans)} spans in one tree")
        show(next(sid for sid in spans if sid not in parents), 0)
        sys.exit(0)
    if best is None or len(problems) < len(best[1]):
        best = (trace["traceID"], problems)
if final:
    if best is None:
        print(f"no trace of service portico (services: {len(portico)} portico, {len(petstore)} petstore traces)")
    else:
        print(f"no complete trace among {len(portico)}; closest {best[0]}: " + "; ".join(best[1]))
sys.exit(1)
PY
deadline=$((SECONDS + 15))
while [ "$SECONDS" -lt "$deadline" ]; do
  python3 "$check" "$QUERY" poll >"$tmp/check.out" 2>&1 && break
  sleep 0.2
done
if ! python3 "$check" "$QUERY" final >"$tmp/check.out" 2>&1; then
  logs; fail "$(cat "$tmp/check.out")"
fi
cat "$tmp/check.out"
echo "PASS: one request, one trace in Jaeger: edge → authz, ratelimit, backend"
