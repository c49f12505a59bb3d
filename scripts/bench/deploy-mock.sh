#!/usr/bin/env bash
# deploy-mock.sh N: overwrite make bench's mock API with round N's body (PutRestApi,
# mode=overwrite, the AWS re-import) and deploy it to stage prod (CreateDeployment), both
# SigV4-signed by curl with the admin credentials. Returns when admin has answered both.
# Needs BENCH_ADMIN (admin base URL) and BENCH_MOCK_API (the API id).
set -euo pipefail
: "${BENCH_ADMIN:?BENCH_ADMIN is unset}" "${BENCH_MOCK_API:?BENCH_MOCK_API is unset}"
round="${1:?usage: deploy-mock.sh ROUND}"
case "$round" in *[!0-9]*) echo "deploy-mock.sh: ROUND must be a number" >&2; exit 2 ;; esac
doc=$(sed "s/BENCH_ROUND/$round/" "$(dirname "$0")/mock.yaml")
sig=(--aws-sigv4 "aws:amz:${AWS_REGION:-us-east-1}:apigateway"
  --user "${PORTICO_ADMIN_ACCESS_KEY_ID:-test}:${PORTICO_ADMIN_SECRET_ACCESS_KEY:-test}")
curl -sS --fail-with-body --max-time 10 "${sig[@]}" -X PUT -H 'Content-Type: application/yaml' \
  --data-binary "$doc" "$BENCH_ADMIN/restapis/$BENCH_MOCK_API?mode=overwrite" >/dev/null
curl -sS --fail-with-body --max-time 10 "${sig[@]}" -X POST -H 'Content-Type: application/json' \
  -d '{"stageName":"prod","description":"bench round '"$round"'"}' \
  "$BENCH_ADMIN/restapis/$BENCH_MOCK_API/deployments" >/dev/null
