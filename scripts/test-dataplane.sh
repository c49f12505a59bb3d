#!/usr/bin/env bash
# The data plane with real clients: the AWS CLI builds a REST API with models (one referring to
# the other), a request validator, required parameters, a MOCK integration with VTL request and
# response templates, a selection pattern and a customised gateway response; curl asserts what
# the edge answers (validation errors, rendered templates, gateway responses).
source "$(dirname "$0")/test-awscli-lib.sh"

echo "== REST API: validation, mapping templates, gateway responses"
api=$(apigw create-rest-api --name script-dataplane --query id --output text)
[ -n "$api" ] || fail "create-rest-api printed no id"
root=$(apigw get-resources --rest-api-id "$api" --query 'items[?path==`/`].id' --output text)
pets=$(apigw create-resource --rest-api-id "$api" --parent-id "$root" --path-part pets --query id --output text)

apigw create-model --rest-api-id "$api" --name Owner --content-type application/json \
  --schema '{"type":"object","required":["email"],"properties":{"email":{"type":"string","pattern":"^[^@]+@[^@]+$"}}}' >/dev/null
apigw create-model --rest-api-id "$api" --name Pet --content-type application/json \
  --schema "{\"\$schema\":\"http://json-schema.org/draft-04/schema#\",\"type\":\"object\",\"required\":[\"name\",\"owner\"],\"properties\":{\"name\":{\"type\":\"string\",\"minLength\":1},\"owner\":{\"\$ref\":\"https://apigateway.amazonaws.com/restapis/$api/models/Owner\"}}}" >/dev/null
vid=$(apigw create-request-validator --rest-api-id "$api" --name all --validate-request-body \
  --validate-request-parameters --query id --output text)
apigw put-method --rest-api-id "$api" --resource-id "$pets" --http-method POST --authorization-type NONE \
  --request-validator-id "$vid" --request-parameters method.request.header.X-Tenant=true,method.request.querystring.dryrun=false \
  --request-models application/json=Pet >/dev/null
apigw put-integration --rest-api-id "$api" --resource-id "$pets" --http-method POST --type MOCK \
  --request-templates '{"application/json":"#if($input.path('"'"'$.name'"'"') == \"ghost\"){\"statusCode\": 404}#else{\"statusCode\": 200}#end"}' >/dev/null
apigw put-method-response --rest-api-id "$api" --resource-id "$pets" --http-method POST --status-code 201 >/dev/null
apigw put-method-response --rest-api-id "$api" --resource-id "$pets" --http-method POST --status-code 404 >/dev/null
apigw put-integration-response --rest-api-id "$api" --resource-id "$pets" --http-method POST --status-code 201 \
  --selection-pattern "" --response-parameters "{\"method.response.header.X-Tenant\":\"method.request.header.X-Tenant\"}" \
  --response-templates '{"application/json":"{\"stage\":\"$context.stage\",\"tenant\":\"$input.params('"'"'X-Tenant'"'"')\"}"}' >/dev/null
apigw put-integration-response --rest-api-id "$api" --resource-id "$pets" --http-method POST --status-code 404 \
  --selection-pattern 404 --response-templates '{"application/json":"{\"message\":\"no such pet\"}"}' >/dev/null
apigw put-gateway-response --rest-api-id "$api" --response-type BAD_REQUEST_BODY --status-code 422 \
  --response-parameters "{\"gatewayresponse.header.X-Why\":\"'validation'\"}" \
  --response-templates '{"application/json":"{\"error\":$context.error.messageString}"}' >/dev/null
dep=$(apigw create-deployment --rest-api-id "$api" --stage-name live --query id --output text)
wait_served "$api" live "$dep"
url="http://$HTTP/restapis/$api/live/_user_request_"
good='{"name":"rex","owner":{"email":"a@b"}}'

expect "valid request" "$(curl -s -H 'Content-Type: application/json' -H 'X-Tenant: acme' -d "$good" "$url/pets")" \
  '{"stage":"live","tenant":"acme"}'
expect "valid request status" "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -H 'X-Tenant: acme' \
  -d "$good" "$url/pets")" "201"
contains "mapped response header" "$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' -H 'X-Tenant: acme' \
  -d "$good" "$url/pets" | tr -d '\r')" "X-Tenant: acme"
expect "selection pattern" "$(curl -s -w ' %{http_code}' -H 'Content-Type: application/json' -H 'X-Tenant: acme' \
  -d '{"name":"ghost","owner":{"email":"a@b"}}' "$url/pets")" '{"message":"no such pet"} 404'
expect "missing parameter" "$(curl -s -w ' %{http_code}' -H 'Content-Type: application/json' -d "$good" "$url/pets")" \
  '{"message":"Missing required request parameters: [X-Tenant]"} 400'
expect "invalid body (customised gateway response)" "$(curl -s -w ' %{http_code}' -H 'Content-Type: application/json' \
  -H 'X-Tenant: acme' -d '{"name":"rex","owner":{"email":"nope"}}' "$url/pets")" '{"error":"Invalid request body"} 422'
contains "gateway response header" "$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' -H 'X-Tenant: acme' \
  -d '{}' "$url/pets" | tr -d '\r')" "X-Why: validation"
# (header names are case-insensitive; compare in lower case)
contains "x-amzn-ErrorType" "$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' -H 'X-Tenant: acme' -d '{}' \
  "$url/pets" | tr -d '\r' | tr '[:upper:]' '[:lower:]')" "x-amzn-errortype: badrequestexception"
expect "miss" "$(curl -s -w ' %{http_code}' "$url/nothing")" '{"message":"Missing Authentication Token"} 403'
echo "PASS test-dataplane.sh"
