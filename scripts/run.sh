#!/usr/bin/env bash
# make run: portico serve (all roles, embedded NATS), the example backend, the example API
# imported and deployed to stage "prod", an API key, and curl lines that work. Ctrl-C stops all.
set -euo pipefail
cd "$(dirname "$0")/.."
NATS_ADDR="${NATS_ADDR:-127.0.0.1:4222}"
HTTP_ADDR="${HTTP_ADDR:-127.0.0.1:8080}"
ADMIN_ADDR="${ADMIN_ADDR:-127.0.0.1:9080}"
DATA_DIR="${DATA_DIR:-./.portico}"
REDIS="${REDIS:-}"
export PORTICO_ADMIN_ACCESS_KEY_ID="${PORTICO_ADMIN_ACCESS_KEY_ID:-test}"
export PORTICO_ADMIN_SECRET_ACCESS_KEY="${PORTICO_ADMIN_SECRET_ACCESS_KEY:-test}"

args=(serve --http-addr "$HTTP_ADDR" --admin-addr "$ADMIN_ADDR" --nats-addr "$NATS_ADDR" --data-dir "$DATA_DIR")
[ -n "$REDIS" ] && args+=(--redis "$REDIS")
bin/portico "${args[@]}" &
serve_pid=$!
trap 'kill $serve_pid ${pet_pid:-} 2>/dev/null; wait 2>/dev/null' EXIT INT TERM

for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://$ADMIN_ADDR/" && break
  kill -0 $serve_pid 2>/dev/null || { echo "portico serve exited" >&2; exit 1; }
  sleep 0.1
done
bin/petstore --nats "nats://$NATS_ADDR" &
pet_pid=$!

out=$(bin/portico import examples/petstore/openapi.yaml --stage prod --admin "http://$ADMIN_ADDR" -o json)
api=$(sed -E 's/.*"apiId":"([^"]+)".*/\1/' <<<"$out")
url=$(sed -E 's/.*"invokeUrl":"([^"]+)".*/\1/' <<<"$out")
key=$(bin/portico apikey create --api "$api" --stage prod --admin "http://$ADMIN_ADDR" -o json | sed -E 's/.*"value":"([^"]+)".*/\1/')

cat <<TXT

Portico is running: edge http://$HTTP_ADDR, admin http://$ADMIN_ADDR, NATS nats://$NATS_ADDR
Example API $api deployed to stage prod. Try:

  curl -s $url/pets
  curl -s $url/pets/1
  curl -s -H 'Host: $api.execute-api.localhost' http://$HTTP_ADDR/prod/pets
  curl -s -X POST -H 'x-api-key: $key' -d '{"type":"bird","price":9.5}' $url/pets
  curl -s -i -X POST -d '{"type":"bird"}' $url/pets        # 403 without the key
  curl -s $url/files/a/b/c.txt -d hello                      # {proxy+}
  curl -s $url/health                                        # MOCK integration

AWS CLI: aws apigateway get-rest-apis --endpoint-url http://$ADMIN_ADDR --region us-east-1
  (credentials: AWS_ACCESS_KEY_ID=$PORTICO_ADMIN_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$PORTICO_ADMIN_SECRET_ACCESS_KEY)
Ctrl-C stops everything.
TXT
wait $serve_pid
