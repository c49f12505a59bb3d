#!/usr/bin/env bash
# The AWS CLI drives the stage cache against a running `portico serve`: create-deployment
# --cache-cluster-enabled, update-stage caching patches, then curl through the edge to a
# backend whose every answer differs (a hit repeats an answer; a parameter that is not a cache
# key shares the entry; a key value does not), Cache-Control: max-age=0, flush-stage-cache,
# flush-stage-authorizers-cache and bad values. Every step asserts on what the CLI or curl
# printed.
source "$(dirname "$0")/test-awscli-lib.sh"

echo "== stage cache"
COUNTER="127.0.0.1:$(free_port)"
python3 - "$COUNTER" >"$tmp/counter.log" 2>&1 <<'PY' &
import http.server, sys
host, port = sys.argv[1].rsplit(":", 1)
calls = 0
class Counter(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        global calls
        calls += 1
        body = ("call %d" % calls).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.HTTPServer((host, int(port)), Counter).serve_forever()
PY
pids+=($!)
for _ in $(seq 1 100); do curl -s -o /dev/null "http://$COUNTER/" && break; sleep 0.1; done

api=$(apigw create-rest-api --name script-cache --query id --output text)
root=$(apigw get-resources --rest-api-id "$api" --query 'items[?path==`/`].id' --output text)
rid=$(apigw create-resource --rest-api-id "$api" --parent-id "$root" --path-part items --query id --output text)
apigw put-method --rest-api-id "$api" --resource-id "$rid" --http-method GET --authorization-type NONE \
  --request-parameters method.request.querystring.id=false >/dev/null
apigw put-integration --rest-api-id "$api" --resource-id "$rid" --http-method GET --type HTTP_PROXY \
  --integration-http-method GET --uri "http://$COUNTER/items" \
  --cache-key-parameters method.request.querystring.id >/dev/null
expect "get-integration cache key" "$(apigw get-integration --rest-api-id "$api" --resource-id "$rid" --http-method GET \
  --query '[cacheKeyParameters[0],cacheNamespace]' --output text)" "method.request.querystring.id	$rid"

dep=$(apigw create-deployment --rest-api-id "$api" --stage-name prod --cache-cluster-enabled --cache-cluster-size 0.5 \
  --query id --output text)
expect "create-deployment cache cluster" "$(apigw get-stage --rest-api-id "$api" --stage-name prod \
  --query '[cacheClusterEnabled,cacheClusterSize,cacheClusterStatus]' --output text)" "True	0.5	AVAILABLE"
wait_served "$api" prod "$dep"
apigw update-stage --rest-api-id "$api" --stage-name prod --patch-operations \
  op=replace,path=/cacheClusterSize,value=1.6 \
  'op=replace,path=/*/*/caching/enabled,value=true' \
  'op=replace,path=/*/*/caching/ttlInSeconds,value=300' \
  'op=replace,path=/~1items/GET/caching/requireAuthorizationForCacheControl,value=false' >/dev/null
expect "update-stage caching" "$(apigw get-stage --rest-api-id "$api" --stage-name prod --query \
  '[cacheClusterSize,methodSettings."*/*".cachingEnabled,methodSettings."*/*".cacheTtlInSeconds,methodSettings."~1items/GET".requireAuthorizationForCacheControl,methodSettings."~1items/GET".unauthorizedCacheControlHeaderStrategy]' \
  --output text)" "1.6	True	300	False	SUCCEED_WITH_RESPONSE_HEADER"

url="http://$HTTP/restapis/$api/prod/_user_request_/items"
# The edge picks the stage settings up within moments: wait until an answer repeats.
first=""
for _ in $(seq 1 100); do
  first=$(curl -s "$url?id=1")
  [ "$(curl -s "$url?id=1")" = "$first" ] && break
  sleep 0.05
done
contains "first answer" "$first" "call "
expect "cache hit" "$(curl -s "$url?id=1")" "$first"
expect "a parameter that is not a cache key shares the entry" "$(curl -s "$url?id=1&page=2")" "$first"
other=$(curl -s "$url?id=2")
[ "$other" != "$first" ] || fail "another cache key value got the cached answer [$first]"
echo "ok  another cache key value misses"
fresh=$(curl -s -H 'Cache-Control: max-age=0' "$url?id=1")
[ "$fresh" != "$first" ] || fail "Cache-Control: max-age=0 got the cached answer"
expect "max-age=0 stored the fresh answer" "$(curl -s "$url?id=1")" "$fresh"

apigw flush-stage-cache --rest-api-id "$api" --stage-name prod
flushed=$(curl -s "$url?id=1")
[ "$flushed" != "$fresh" ] || fail "flush-stage-cache left the entry [$fresh]"
echo "ok  flush-stage-cache"
expect "cached again after the flush" "$(curl -s "$url?id=1")" "$flushed"
apigw flush-stage-authorizers-cache --rest-api-id "$api" --stage-name prod
echo "ok  flush-stage-authorizers-cache"

# Turning the cache off: every request reaches the backend.
apigw update-stage --rest-api-id "$api" --stage-name prod \
  --patch-operations op=replace,path=/cacheClusterEnabled,value=false >/dev/null
expect "cache off status" "$(apigw get-stage --rest-api-id "$api" --stage-name prod --query cacheClusterStatus --output text)" "NOT_AVAILABLE"
for _ in $(seq 1 100); do
  [ "$(curl -s "$url?id=1")" != "$(curl -s "$url?id=1")" ] && break
  sleep 0.05
done
[ "$(curl -s "$url?id=1")" != "$(curl -s "$url?id=1")" ] || fail "the edge still caches after cacheClusterEnabled=false"
echo "ok  cache off"

# Bad values.
err=$(apigw update-stage --rest-api-id "$api" --stage-name prod --patch-operations op=replace,path=/cacheClusterSize,value=0.7 2>&1 || true)
contains "bad cacheClusterSize" "$err" "BadRequestException"
err=$(apigw update-stage --rest-api-id "$api" --stage-name prod \
  --patch-operations 'op=replace,path=/*/*/caching/ttlInSeconds,value=3601' 2>&1 || true)
contains "ttl above 3600" "$err" "BadRequestException"
err=$(apigw update-stage --rest-api-id "$api" --stage-name prod \
  --patch-operations 'op=replace,path=/*/*/caching/unauthorizedCacheControlHeaderStrategy,value=IGNORE' 2>&1 || true)
contains "unknown strategy" "$err" "BadRequestException"
err=$(apigw flush-stage-cache --rest-api-id "$api" --stage-name nosuchstage 2>&1 || true)
contains "flush of an unknown stage" "$err" "NotFoundException"

apigw delete-rest-api --rest-api-id "$api"
echo "PASS test-awscli-cache"
