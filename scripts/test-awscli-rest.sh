#!/usr/bin/env bash
# The AWS CLI drives a REST API through its whole lifecycle against a running `portico serve`:
# a resource tree with a MOCK integration (request template, method and integration
# responses), deploy, invoke with curl through the edge, stage variables, a canary and its
# promotion, roll back, bad input, delete. Every step asserts on what the CLI or curl printed.
source "$(dirname "$0")/test-awscli-lib.sh"

echo "== REST API with a MOCK integration"
api=$(apigw create-rest-api --name script-rest --description "lifecycle" --query id --output text)
[ -n "$api" ] || fail "create-rest-api printed no id"
root=$(apigw get-resources --rest-api-id "$api" --query 'items[?path==`/`].id' --output text)
[ -n "$root" ] || fail "get-resources printed no root id"
v1=$(apigw create-resource --rest-api-id "$api" --parent-id "$root" --path-part v1 --query id --output text)
health=$(apigw create-resource --rest-api-id "$api" --parent-id "$v1" --path-part health --query path --output text)
expect "create-resource path" "$health" "/v1/health"
hid=$(apigw get-resources --rest-api-id "$api" --query 'items[?path==`/v1/health`].id' --output text)
expect "put-method" "$(apigw put-method --rest-api-id "$api" --resource-id "$hid" --http-method GET \
  --authorization-type NONE --query httpMethod --output text)" "GET"
expect "put-integration MOCK" "$(apigw put-integration --rest-api-id "$api" --resource-id "$hid" --http-method GET \
  --type MOCK --request-templates '{"application/json":"{\"statusCode\": 200}"}' --query type --output text)" "MOCK"
expect "put-method-response" "$(apigw put-method-response --rest-api-id "$api" --resource-id "$hid" --http-method GET \
  --status-code 200 --response-parameters method.response.header.X-Version=false --query statusCode --output text)" "200"
expect "put-integration-response" "$(apigw put-integration-response --rest-api-id "$api" --resource-id "$hid" \
  --http-method GET --status-code 200 --response-parameters "{\"method.response.header.X-Version\":\"'one'\"}" \
  --response-templates '{"application/json":"{\"status\":\"v1\"}"}' --query statusCode --output text)" "200"
expect "get-integration template" "$(apigw get-integration --rest-api-id "$api" --resource-id "$hid" --http-method GET \
  --query 'requestTemplates."application/json"' --output text)" '{"statusCode": 200}'
dep1=$(apigw create-deployment --rest-api-id "$api" --stage-name dev --variables color=blue --description first \
  --query id --output text)
expect "get-stage deploymentId" "$(apigw get-stage --rest-api-id "$api" --stage-name dev --query deploymentId --output text)" "$dep1"
wait_served "$api" dev "$dep1"
url="http://$HTTP/restapis/$api/dev/_user_request_"
expect "invoke MOCK" "$(curl -s "$url/v1/health")" '{"status":"v1"}'
contains "invoke MOCK header" "$(curl -s -D - -o /dev/null "$url/v1/health" | tr -d '\r')" "X-Version: one"
expect "unknown path" "$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/nothing")" "403"

# A second deployment with another response; the stage moves to it.
apigw update-integration-response --rest-api-id "$api" --resource-id "$hid" --http-method GET --status-code 200 \
  --patch-operations '[{"op":"replace","path":"/responseTemplates/application~1json","value":"{\"status\":\"v2\"}"}]' >/dev/null
dep2=$(apigw create-deployment --rest-api-id "$api" --stage-name dev --description second --query id --output text)
wait_served "$api" dev "$dep2"
expect "invoke after redeploy" "$(curl -s "$url/v1/health")" '{"status":"v2"}'
expect "get-deployments count" "$(apigw get-deployments --rest-api-id "$api" --query 'length(items)' --output text)" "2"

# Stage variables.
apigw update-stage --rest-api-id "$api" --stage-name dev \
  --patch-operations op=replace,path=/variables/color,value=green op=replace,path=/variables/size,value=xl >/dev/null
expect "update-stage variables" "$(apigw get-stage --rest-api-id "$api" --stage-name dev --query 'variables.[color,size]' --output text)" "green	xl"

# Access logs: destination and $context format (lines go out on portico.v1.logs.access.>).
apigw update-stage --rest-api-id "$api" --stage-name dev --patch-operations \
  'op=replace,path=/accessLogSettings/destinationArn,value=arn:aws:logs:us-east-1:000000000000:log-group:dev-access' \
  'op=replace,path=/accessLogSettings/format,value=$context.requestId $context.status' >/dev/null
expect "access log settings" "$(apigw get-stage --rest-api-id "$api" --stage-name dev --query 'accessLogSettings.format' --output text)" \
  '$context.requestId $context.status'
expect "invoke with access logs" "$(curl -s "$url/v1/health")" '{"status":"v2"}'
apigw update-stage --rest-api-id "$api" --stage-name dev --patch-operations op=remove,path=/accessLogSettings >/dev/null
expect "access logs off" "$(apigw get-stage --rest-api-id "$api" --stage-name dev --query 'accessLogSettings' --output text)" "None"

# Canary: 25% of traffic to a third deployment, with a stage-variable override, then removed.
apigw update-integration-response --rest-api-id "$api" --resource-id "$hid" --http-method GET --status-code 200 \
  --patch-operations '[{"op":"replace","path":"/responseTemplates/application~1json","value":"{\"status\":\"canary\"}"}]' >/dev/null
dep3=$(apigw create-deployment --rest-api-id "$api" --stage-name dev --description canary \
  --canary-settings percentTraffic=25,stageVariableOverrides={color=red} --query id --output text)
expect "canary deploymentId" "$(apigw get-stage --rest-api-id "$api" --stage-name dev \
  --query '[deploymentId,canarySettings.deploymentId,canarySettings.percentTraffic,canarySettings.stageVariableOverrides.color]' --output text)" \
  "$dep2	$dep3	25.0	red"
apigw update-stage --rest-api-id "$api" --stage-name dev \
  --patch-operations op=replace,path=/canarySettings/percentTraffic,value=50 >/dev/null
expect "canary percentTraffic" "$(apigw get-stage --rest-api-id "$api" --stage-name dev --query canarySettings.percentTraffic --output text)" "50.0"
# Promote: the stage takes the canary's deployment, then the canary is removed.
apigw update-stage --rest-api-id "$api" --stage-name dev \
  --patch-operations "op=replace,path=/deploymentId,value=$dep3" op=remove,path=/canarySettings >/dev/null
expect "promoted" "$(apigw get-stage --rest-api-id "$api" --stage-name dev --query '[deploymentId,canarySettings]' --output text)" "$dep3	None"
wait_served "$api" dev "$dep3"
expect "invoke promoted" "$(curl -s "$url/v1/health")" '{"status":"canary"}'

# Roll back to the first deployment.
apigw update-stage --rest-api-id "$api" --stage-name dev --patch-operations "op=replace,path=/deploymentId,value=$dep1" >/dev/null
wait_served "$api" dev "$dep1"
expect "invoke after rollback" "$(curl -s "$url/v1/health")" '{"status":"v1"}'

# Bad input: an unknown API, an invalid patch path, an active deployment.
err=$(apigw get-rest-api --rest-api-id nosuchapi 2>&1 || true)
contains "unknown api" "$err" "NotFoundException"
err=$(apigw update-stage --rest-api-id "$api" --stage-name dev --patch-operations op=replace,path=/nonsense,value=1 2>&1 || true)
contains "invalid patch path" "$err" "BadRequestException"
contains "invalid patch path message" "$err" "/nonsense"
err=$(apigw delete-deployment --rest-api-id "$api" --deployment-id "$dep1" 2>&1 || true)
contains "delete active deployment" "$err" "Active stages pointing to this deployment"
apigw delete-deployment --rest-api-id "$api" --deployment-id "$dep2"
expect "get-deployments after delete" "$(apigw get-deployments --rest-api-id "$api" --query 'length(items)' --output text)" "2"

# Gateway responses: all 21 types with defaults, one customised.
expect "get-gateway-responses" "$(apigw get-gateway-responses --rest-api-id "$api" --query 'length(items)' --output text)" "21"
expect "put-gateway-response" "$(apigw put-gateway-response --rest-api-id "$api" --response-type THROTTLED --status-code 503 \
  --query '[statusCode,defaultResponse]' --output text)" "503	False"

# A usage plan on the stage with an API key bound to it.
key=$(apigw create-api-key --name script-key --enabled --query id --output text)
plan=$(apigw create-usage-plan --name script-plan --throttle burstLimit=20,rateLimit=10 \
  --quota limit=1000,offset=0,period=DAY --api-stages "apiId=$api,stage=dev" --query id --output text)
expect "create-usage-plan-key" "$(apigw create-usage-plan-key --usage-plan-id "$plan" --key-id "$key" --key-type API_KEY \
  --query '[id,type]' --output text)" "$key	API_KEY"
expect "get-usage-plans by key" "$(apigw get-usage-plans --key-id "$key" --query 'items[].[id,apiStages[0].stage,quota.limit]' --output text)" "$plan	dev	1000"
expect "update-usage-plan" "$(apigw update-usage-plan --usage-plan-id "$plan" \
  --patch-operations op=replace,path=/throttle/rateLimit,value=50 "op=replace,path=/apiStages/$api:dev/throttle/~1v1~1health/GET/rateLimit,value=5" \
  --query '[throttle.rateLimit,apiStages[0].throttle."/v1/health/GET".rateLimit]' --output text)" "50.0	5.0"
expect "get-usage" "$(apigw get-usage --usage-plan-id "$plan" --start-date 2026-01-01 --end-date 2026-01-02 \
  --query "items.\"$key\"[0]" --output text)" "0	1000"
apigw delete-usage-plan-key --usage-plan-id "$plan" --key-id "$key"
expect "usage plan keys after delete" "$(apigw get-usage-plan-keys --usage-plan-id "$plan" --query 'length(items)' --output text)" "0"
apigw delete-usage-plan --usage-plan-id "$plan"
apigw delete-api-key --api-key "$key"

# Tear down the method, the resources, the stage and the API.
apigw delete-integration --rest-api-id "$api" --resource-id "$hid" --http-method GET
err=$(apigw get-integration --rest-api-id "$api" --resource-id "$hid" --http-method GET 2>&1 || true)
contains "integration deleted" "$err" "NotFoundException"
apigw delete-method --rest-api-id "$api" --resource-id "$hid" --http-method GET
apigw delete-resource --rest-api-id "$api" --resource-id "$v1"
expect "resources after delete" "$(apigw get-resources --rest-api-id "$api" --query 'items[].path' --output text)" "/"
apigw delete-stage --rest-api-id "$api" --stage-name dev
wait_gone "$api" dev
expect "invoke deleted stage" "$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/health")" "403"
apigw delete-rest-api --rest-api-id "$api"
err=$(apigw get-rest-api --rest-api-id "$api" 2>&1 || true)
contains "api deleted" "$err" "NotFoundException"

echo "PASS: AWS CLI REST API lifecycle"
