#!/usr/bin/env bash
# deploy-mock.sh N: re-import make bench's mock API with round N's body and deploy it to stage
# prod — `portico import - --api ID --stage prod` (put-rest-api mode=overwrite, then
# create-deployment). Returns when the CLI has. Needs BENCH_PORTICO (the portico binary),
# BENCH_ADMIN (admin base URL) and BENCH_MOCK_API (the API id); admin credentials from
# PORTICO_ADMIN_ACCESS_KEY_ID / PORTICO_ADMIN_SECRET_ACCESS_KEY.
set -euo pipefail
: "${BENCH_PORTICO:?BENCH_PORTICO is unset}" "${BENCH_ADMIN:?BENCH_ADMIN is unset}" "${BENCH_MOCK_API:?BENCH_MOCK_API is unset}"
round="${1:?usage: deploy-mock.sh ROUND}"
case "$round" in *[!0-9]*) echo "deploy-mock.sh: ROUND must be a number" >&2; exit 2 ;; esac
sed "s/BENCH_ROUND/$round/" "$(dirname "$0")/mock.yaml" |
  "$BENCH_PORTICO" import - --api "$BENCH_MOCK_API" --stage prod --admin "$BENCH_ADMIN" -o json >/dev/null
