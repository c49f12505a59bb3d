#!/usr/bin/env bash
# make bench: the example route under load through Portico, next to the same backend logic
# served directly over HTTP and (when nginx is installed) nginx proxying it; Redis commands per
# 1,000 throttled requests; an edge in a process apart from NATS (the other layout); deployment
# propagation (deploy returns -> edge serves the new body).
# Prints a markdown table at the end. Every process it starts is stopped on exit.
#
# Env: DURATION (10s), CONNS (64), THREADS (wrk threads, 2), WARMUP (1s, 0 = none), ROUNDS
# (propagation deploys, 20), PORTICO / PETSTORE (binaries, bin/…), LOADGEN (a built
# examples/cmd/loadgen; built into a temp dir when unset), BENCH_REDIS_URL (default: a private
# redis-server on a free port when installed, else redis://127.0.0.1:6379), NO_WRK=1 (use loadgen
# even when wrk is installed), NO_NGINX=1, NO_SPLIT=1 (no edge-apart-from-NATS row).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-10s}"
CONNS="${CONNS:-64}"
THREADS="${THREADS:-2}"
WARMUP="${WARMUP:-1s}"
ROUNDS="${ROUNDS:-20}"
PORTICO="${PORTICO:-bin/portico}"
PETSTORE="${PETSTORE:-bin/petstore}"
case "$DURATION" in *[!0-9]*) ;; *) DURATION="${DURATION}s" ;; esac
case "$WARMUP" in *[!0-9]*) ;; *) WARMUP="${WARMUP}s" ;; esac
case "$CONNS$THREADS$ROUNDS" in *[!0-9]*) echo "bench: CONNS, THREADS and ROUNDS must be numbers" >&2; exit 2 ;; esac
[ "$THREADS" -le "$CONNS" ] || THREADS="$CONNS"
export PORTICO_ADMIN_ACCESS_KEY_ID="${PORTICO_ADMIN_ACCESS_KEY_ID:-test}"
export PORTICO_ADMIN_SECRET_ACCESS_KEY="${PORTICO_ADMIN_SECRET_ACCESS_KEY:-test}"

for b in "$PORTICO" "$PETSTORE"; do
  [ -x "$b" ] || { echo "bench: $b not found; run make build (make bench does)" >&2; exit 1; }
done
command -v curl >/dev/null || { echo "bench: curl is required" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/portico-bench.XXXXXX")
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '== %s\n' "$*" >&2; }
die() {
  printf 'bench: %s\n' "$*" >&2
  local f
  for f in "$tmp"/*.log; do [ -s "$f" ] && { echo "--- ${f##*/} (tail)" >&2; tail -n 20 "$f" >&2; }; done
  exit 1
}

# start NAME CMD...: runs CMD in the background, logging to $tmp/NAME.log.
start() {
  local name=$1; shift
  "$@" >"$tmp/$name.log" 2>&1 &
  pids+=($!)
}

# wait_http URL WANT [TRIES]: polls URL (0.1 s apart) until its status is WANT.
wait_http() {
  local code i
  for ((i = 0; i < ${3:-100}; i++)); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "${@:4}" "$1" || true)
    [ "$code" = "$2" ] && return 0
    sleep 0.1
  done
  echo "bench: $1 answered $code, want $2" >&2
  return 1
}

if [ -n "${LOADGEN:-}" ]; then
  [ -x "$LOADGEN" ] || die "LOADGEN=$LOADGEN is not executable"
else
  LOADGEN="$tmp/loadgen"
  log "building examples/cmd/loadgen"
  (cd examples && go build -o "$LOADGEN" ./cmd/loadgen) || die "building loadgen failed"
fi
JWTIDP="$tmp/jwtidp"
log "building examples/cmd/jwtidp"
(cd examples && go build -o "$JWTIDP" ./cmd/jwtidp) || die "building jwtidp failed"

# Free ports (overridable), all distinct.
ports=()
port() {
  local p i
  for ((i = 0; i < 20; i++)); do
    p=$("$LOADGEN" -free-port)
    [[ " ${ports[*]} " == *" $p "* ]] || { ports+=("$p"); echo "$p"; return; }
  done
  die "no free port"
}
HTTP_PORT="${HTTP_PORT:-$(port)}"; ports+=("$HTTP_PORT")
ADMIN_PORT="${ADMIN_PORT:-$(port)}"; ports+=("$ADMIN_PORT")
NATS_PORT="${NATS_PORT:-$(port)}"; ports+=("$NATS_PORT")
DIRECT_PORT="${DIRECT_PORT:-$(port)}"; ports+=("$DIRECT_PORT")
NGINX_PORT="${NGINX_PORT:-$(port)}"; ports+=("$NGINX_PORT")
ADMIN="http://127.0.0.1:$ADMIN_PORT"

# Redis: a private server keeps other clients out of the command counts.
redis_note=""
if [ -n "${BENCH_REDIS_URL:-}" ]; then
  REDIS_URL="$BENCH_REDIS_URL"
elif command -v redis-server >/dev/null; then
  REDIS_PORT=$(port); ports+=("$REDIS_PORT")
  start redis redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp"
  REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
  redis_note="private redis-server"
else
  REDIS_URL="redis://127.0.0.1:6379"
  redis_note="shared Redis: other clients' commands are counted too"
fi
have_redis_cli=0
command -v redis-cli >/dev/null && have_redis_cli=1
if [ "$have_redis_cli" = 1 ]; then
  for ((i = 0; i < 50; i++)); do redis-cli -u "$REDIS_URL" PING >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -u "$REDIS_URL" PING >/dev/null 2>&1 || die "Redis at $REDIS_URL does not answer"
fi

log "starting portico (embedded NATS :$NATS_PORT, edge :$HTTP_PORT, admin :$ADMIN_PORT, redis $REDIS_URL)"
start portico "$PORTICO" serve --http-addr "127.0.0.1:$HTTP_PORT" --admin-addr "127.0.0.1:$ADMIN_PORT" \
  --nats-addr "127.0.0.1:$NATS_PORT" --data-dir "$tmp/data" --redis "$REDIS_URL" --log-level warn \
  --account-rate 1000000 --account-burst 1000000 --jwt-allow-http
for ((i = 0; i < 100; i++)); do
  curl -s -o /dev/null --max-time 1 "$ADMIN/" && break
  kill -0 "${pids[-1]}" 2>/dev/null || die "portico serve exited"
  sleep 0.1
done
start petstore-nats "$PETSTORE" --nats "nats://127.0.0.1:$NATS_PORT"
start petstore-http "$PETSTORE" --http "127.0.0.1:$DIRECT_PORT"

# json_field NAME: the string value of "NAME" in the JSON object on stdin.
json_field() { sed -nE 's/.*"'"$1"'" *: *"([^"]*)".*/\1/p' | head -n1; }

log "importing the example API and the keyed, throttled copy"
out=$("$PORTICO" import examples/petstore/openapi.yaml --stage prod --admin "$ADMIN" -o json 2>"$tmp/cli.log") \
  || die "portico import failed: $(cat "$tmp/cli.log")"
open_url=$(json_field invokeUrl <<<"$out")
[ -n "$open_url" ] || die "portico import printed no invokeUrl: $out"
out=$("$PORTICO" import scripts/bench/keyed.yaml --stage prod --throttle-rate 1000000 --throttle-burst 1000000 \
  --admin "$ADMIN" -o json 2>"$tmp/cli.log") || die "portico import (throttled) failed: $(cat "$tmp/cli.log")"
keyed_api=$(json_field apiId <<<"$out")
keyed_url=$(json_field invokeUrl <<<"$out")
[ -n "$keyed_api" ] && [ -n "$keyed_url" ] || die "portico import printed no apiId/invokeUrl: $out"
key=$("$PORTICO" apikey create --api "$keyed_api" --stage prod --admin "$ADMIN" -o json 2>"$tmp/cli.log" | json_field value) \
  || die "portico apikey create failed: $(cat "$tmp/cli.log")"
[ -n "$key" ] || die "portico apikey create printed no value: $(cat "$tmp/cli.log")"
out=$("$PORTICO" import examples/petstore/openapi.yaml --stage throttled --throttle-rate 1000000 --throttle-burst 1000000 \
  --admin "$ADMIN" -o json 2>"$tmp/cli.log") || die "portico import (throttled stage) failed: $(cat "$tmp/cli.log")"
throttled_url=$(json_field invokeUrl <<<"$out")
[ -n "$throttled_url" ] || die "portico import printed no invokeUrl: $out"
start jwtidp "$JWTIDP" -addr 127.0.0.1:0 -aud portico
for ((i = 0; i < 100; i++)); do [ -s "$tmp/jwtidp.log" ] && break; sleep 0.05; done
read -r jwt_issuer jwt_token <"$tmp/jwtidp.log" || die "jwtidp printed no issuer and token"
sed "s#BENCH_ISSUER#$jwt_issuer#" scripts/bench/jwt.yaml >"$tmp/jwt.yaml"
out=$("$PORTICO" import "$tmp/jwt.yaml" --stage prod --admin "$ADMIN" -o json 2>"$tmp/cli.log") \
  || die "portico import (jwt) failed: $(cat "$tmp/cli.log")"
jwt_url=$(json_field invokeUrl <<<"$out")
[ -n "$jwt_url" ] || die "portico import printed no invokeUrl: $out"
sed 's/BENCH_ROUND/0/' scripts/bench/mock.yaml >"$tmp/mock.yaml"
out=$("$PORTICO" import "$tmp/mock.yaml" --stage prod --admin "$ADMIN" -o json 2>"$tmp/cli.log") \
  || die "portico import (mock) failed: $(cat "$tmp/cli.log")"
mock_api=$(json_field apiId <<<"$out")
mock_url=$(json_field invokeUrl <<<"$out")
[ -n "$mock_api" ] && [ -n "$mock_url" ] || die "portico import printed no apiId/invokeUrl: $out"

direct_url="http://127.0.0.1:$DIRECT_PORT/pets/1"
nginx_url="http://127.0.0.1:$NGINX_PORT/pets/1"
wait_http "$direct_url" 200 || die "direct petstore is not serving"
wait_http "$open_url/pets/1" 200 || die "portico does not serve GET /pets/1"
wait_http "$throttled_url/pets/1" 200 || die "portico does not serve the throttled GET /pets/1"
wait_http "$keyed_url/pets/1" 200 100 -H "x-api-key: $key" || die "portico does not serve the keyed GET /pets/1"
wait_http "$jwt_url/pets/1" 200 100 -H "Authorization: Bearer $jwt_token" || die "portico does not serve the JWT GET /pets/1"
code=$(curl -s -o /dev/null -w '%{http_code}' "$jwt_url/pets/1")
[ "$code" = 401 ] || die "the JWT route answered $code without a token, want 401"
code=$(curl -s -o /dev/null -w '%{http_code}' "$keyed_url/pets/1")
[ "$code" = 403 ] || die "the keyed route answered $code without a key, want 403"

# nginx -> direct petstore, config and state in $tmp only.
have_nginx=0
nginx_skip="nginx not installed"
[ -n "${NO_NGINX:-}" ] && nginx_skip="NO_NGINX set"
if [ -z "${NO_NGINX:-}" ] && command -v nginx >/dev/null; then
  ng="$tmp/nginx"
  mkdir -p "$ng/tmp"
  {
    [ "$(id -u)" = 0 ] && echo "user root;"
    cat <<CONF
worker_processes auto;
pid $ng/nginx.pid;
error_log $ng/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $ng/tmp/body;
  proxy_temp_path $ng/tmp/proxy;
  fastcgi_temp_path $ng/tmp/fastcgi;
  uwsgi_temp_path $ng/tmp/uwsgi;
  scgi_temp_path $ng/tmp/scgi;
  keepalive_requests 1000000;
  upstream petstore {
    server 127.0.0.1:$DIRECT_PORT;
    keepalive 128;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location / {
      proxy_pass http://petstore;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
CONF
  } >"$ng/nginx.conf"
  start nginx nginx -e "$ng/error.log" -c "$ng/nginx.conf" -p "$ng" -g 'daemon off;'
  wait_http "$nginx_url" 200 || die "nginx does not proxy to petstore"
  have_nginx=1
fi

[ "$have_nginx" = 1 ] || log "skipping the nginx row: $nginx_skip"

if [ -z "${NO_WRK:-}" ] && command -v wrk >/dev/null; then tool="wrk -t$THREADS -c$CONNS"; else tool="loadgen -c $CONNS"; fi

# load NAME URL [HEADER...]: a warm-up, then DURATION of load; the report goes to $tmp/NAME.txt.
load() {
  local name=$1 url=$2 h hs=()
  shift 2
  for h in "$@"; do hs+=(-H "$h"); done
  log "load: $name ($tool, $DURATION)"
  if [[ $tool == wrk* ]]; then
    [ "$WARMUP" = 0s ] || wrk -t"$THREADS" -c"$CONNS" -d"$WARMUP" "${hs[@]}" "$url" >/dev/null
    "${before_measure[@]}"
    wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "${hs[@]}" "$url" >"$tmp/$name.txt"
  else
    [ "$WARMUP" = 0s ] || "$LOADGEN" -c "$CONNS" -d "$WARMUP" "${hs[@]}" "$url" >/dev/null
    "${before_measure[@]}"
    "$LOADGEN" -c "$CONNS" -d "$DURATION" "${hs[@]}" "$url" >"$tmp/$name.txt"
  fi
  before_measure=(true)
}
before_measure=(true)

# stats NAME: "req/s p50ms p99ms non2xx errors" from a wrk (or loadgen) report.
stats() {
  awk '
    function ms(s) { if (s ~ /us$/) return s / 1000; if (s ~ /ms$/) return s + 0; if (s ~ /s$/) return s * 1000; return s + 0 }
    /^Requests\/sec:/ { rps = $2 }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    /Non-2xx or 3xx responses:/ { non = $NF }
    /Socket errors:/ { gsub(",", ""); err = $4 + $6 + $8 + $10 }
    END { printf "%.0f %.2f %.2f %d %d\n", rps, p50, p99, non, err }' "$tmp/$1.txt"
}

# commandstats: "command calls" per line from INFO commandstats.
commandstats() {
  redis-cli -u "$REDIS_URL" INFO commandstats | tr -d '\r' |
    sed -nE 's/^cmdstat_([^:]+):calls=([0-9]+),.*/\1 \2/p'
}

load direct "$direct_url"
[ "$have_nginx" = 1 ] && load nginx "$nginx_url"
load open "$open_url/pets/1"
load throttled "$throttled_url/pets/1"
# Redis counts start after the warm-up, so they cover exactly the measured requests (and the
# requests still in flight when the run ends, a rounding error at this rate).
[ "$have_redis_cli" = 1 ] && before_measure=(eval 'commandstats >"$tmp/redis.before"')
load keyed "$keyed_url/pets/1" "x-api-key: $key"
[ "$have_redis_cli" = 1 ] && commandstats >"$tmp/redis.after"
load jwt "$jwt_url/pets/1" "Authorization: Bearer $jwt_token"

# The other layout (DESIGN §9): an edge in its own process, NATS in the first portico's.
have_split=0
split_skip="NO_SPLIT set"
if [ -z "${NO_SPLIT:-}" ]; then
  SPLIT_PORT="${SPLIT_PORT:-$(port)}"; ports+=("$SPLIT_PORT")
  start portico-edge "$PORTICO" serve --services=edge --nats "nats://127.0.0.1:$NATS_PORT" \
    --http-addr "127.0.0.1:$SPLIT_PORT" --log-level warn --account-rate 1000000 --account-burst 1000000
  split_url="${open_url/127.0.0.1:$HTTP_PORT/127.0.0.1:$SPLIT_PORT}/pets/1"
  if [ "$split_url" != "$open_url/pets/1" ] && wait_http "$split_url" 200; then
    load split "$split_url"
    have_split=1
  else
    split_skip="the edge-only portico did not serve $split_url"
    log "skipping the split-layout row: $split_skip"
  fi
fi

log "propagation: $ROUNDS re-imports + deploys of a MOCK route"
export BENCH_PORTICO="$PORTICO" BENCH_ADMIN="$ADMIN" BENCH_MOCK_API="$mock_api"
wait_http "$mock_url/version" 200 || die "the mock API is not served"
"$LOADGEN" -propagation -n "$ROUNDS" -deploy "scripts/bench/deploy-mock.sh {n}" -expect '"v{n}"' \
  -poll-timeout 10s "$mock_url/version" >"$tmp/propagation.txt" || die "propagation run failed"

# ---- report ----
read -r d_rps d_p50 d_p99 d_non d_err < <(stats direct)
read -r o_rps o_p50 o_p99 o_non o_err < <(stats open)
read -r k_rps k_p50 k_p99 k_non k_err < <(stats keyed)
read -r t_rps t_p50 t_p99 t_non t_err < <(stats throttled)
read -r j_rps j_p50 j_p99 j_non j_err < <(stats jwt)
if [ "$have_nginx" = 1 ]; then
  read -r n_rps n_p50 n_p99 n_non n_err < <(stats nginx)
fi
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f×", a / b; else print "n/a" }'; }
row() { printf '| %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4" "$(($5 + $6))"; }

keyed_reqs=$(sed -nE 's/^ *([0-9]+) requests in.*/\1/p' "$tmp/keyed.txt")
redis_line="n/a (redis-cli not installed)"
if [ "$have_redis_cli" = 1 ]; then
  redis_line=$(awk -v reqs="${keyed_reqs:-0}" '
    NR == FNR { before[$1] = $2; next }
    $1 != "info" { d = $2 - before[$1]; if (d <= 0) next; all += d; if ($1 ~ /^(eval|evalsha|eval_ro|evalsha_ro|fcall|fcall_ro)$/) scripts += d
                   list = list sprintf(" %s=%d", $1, d) }
    END { if (reqs == 0) { print "n/a (no requests)"; exit }
          printf "%.2f script calls (EVAL/EVALSHA) and %.2f commands in all per 1,000 requests (%d requests;%s)",
                 scripts * 1000 / reqs, all * 1000 / reqs, reqs, list == "" ? " none" : list }' \
    "$tmp/redis.before" "$tmp/redis.after")
fi
prop_p50=$(awk '/^ +50%/ { print $2 }' "$tmp/propagation.txt")
prop_p99=$(awk '/^ +99%/ { print $2 }' "$tmp/propagation.txt")
prop_max=$(awk '/^ +max/ { print $2 }' "$tmp/propagation.txt")
prop_cmd=$(sed -nE 's/^ +deploy command (.*)$/\1/p' "$tmp/propagation.txt")
prop_polls=$(sed -nE 's/^Propagation: .* ([0-9]+) polls$/\1/p' "$tmp/propagation.txt")

echo
echo "## make bench — $(date -u +%Y-%m-%dT%H:%MZ), $(nproc 2>/dev/null || echo '?') cores, $tool, $DURATION per row, GET /pets/1"
echo
echo "| target | req/s | p50 (ms) | p99 (ms) | non-2xx + errors |"
echo "|---|---:|---:|---:|---:|"
row "direct HTTP (petstore --http)" "$d_rps" "$d_p50" "$d_p99" "$d_non" "$d_err"
if [ "$have_nginx" = 1 ]; then
  row "nginx → direct" "$n_rps" "$n_p50" "$n_p99" "$n_non" "$n_err"
else
  echo "| nginx → direct | skipped: $nginx_skip | | | |"
fi
row "portico → NATS_PROXY (no auth)" "$o_rps" "$o_p50" "$o_p99" "$o_non" "$o_err"
row "portico + stage throttling (limit above the load, Redis)" "$t_rps" "$t_p50" "$t_p99" "$t_non" "$t_err"
row "portico + API key + throttling (Redis)" "$k_rps" "$k_p50" "$k_p99" "$k_non" "$k_err"
row "portico + JWT authorizer (warm cache)" "$j_rps" "$j_p50" "$j_p99" "$j_non" "$j_err"
if [ "$have_split" = 1 ]; then
  read -r s_rps s_p50 s_p99 s_non s_err < <(stats split)
  row "portico, edge process apart from NATS (no auth)" "$s_rps" "$s_p50" "$s_p99" "$s_non" "$s_err"
else
  echo "| portico, edge process apart from NATS (no auth) | skipped: $split_skip | | | |"
fi
echo
if [ "$have_nginx" = 1 ]; then
  echo "- portico / nginx: $(ratio "$o_rps" "$n_rps") (no auth), $(ratio "$k_rps" "$n_rps") (API key + throttling; goal ≥ 1.25×)"
else
  echo "- portico / nginx: n/a (nginx skipped: $nginx_skip)"
fi
echo "- throttling on / off: $(ratio "$t_rps" "$o_rps") (goal ≥ 0.95×); API key + throttling / no auth: $(ratio "$k_rps" "$o_rps") (goal ≥ 0.95×); JWT / no auth: $(ratio "$j_rps" "$o_rps") (goal ≥ 0.95×); portico / direct: $(ratio "$o_rps" "$d_rps")"
[ "$have_split" = 1 ] && echo "- edge apart from NATS / embedded NATS: $(ratio "$s_rps" "$o_rps")"
echo "- Redis (${redis_note:-$REDIS_URL}), throttled row: $redis_line"
echo "- deployment propagation (deploy returns → edge serves the new body, $ROUNDS re-imports + deploys): p50 $prop_p50, p99 $prop_p99, max $prop_max ($prop_polls polls in all: $ROUNDS means every round was live at the first poll); the deploy command itself: $prop_cmd"
if [ $((d_non + d_err + o_non + o_err + k_non + k_err + t_non + t_err + j_non + j_err + ${n_non:-0} + ${n_err:-0} + ${s_non:-0} + ${s_err:-0})) -gt 0 ]; then
  echo "- WARNING: some rows had non-2xx answers or socket errors; their req/s include them"
fi
