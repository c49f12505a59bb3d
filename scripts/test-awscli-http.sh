#!/usr/bin/env bash
# The AWS CLI (apigatewayv2) drives an HTTP API with a NATS_PROXY route and an HTTP_PROXY
# route: a named stage, the $default stage with auto-deploy, invoke with curl, update, delete.
source "$(dirname "$0")/test-awscli-lib.sh"

echo "== HTTP API with NATS_PROXY and HTTP_PROXY routes"
hapi=$(apigw2 create-api --name script-http --protocol-type HTTP --query ApiId --output text)
[ -n "$hapi" ] || fail "create-api printed no ApiId"
natsint=$(apigw2 create-integration --api-id "$hapi" --integration-type NATS_PROXY --integration-uri petstore.pets.list \
  --query IntegrationId --output text)
httpint=$(apigw2 create-integration --api-id "$hapi" --integration-type HTTP_PROXY --integration-method GET \
  --integration-uri "http://$PETHTTP/pets/{id}" --payload-format-version 1.0 --query IntegrationId --output text)
expect "create-route nats" "$(apigw2 create-route --api-id "$hapi" --route-key 'GET /pets' --target "integrations/$natsint" \
  --query RouteKey --output text)" "GET /pets"
rid=$(apigw2 create-route --api-id "$hapi" --route-key 'GET /http/pets/{id}' --target "integrations/$httpint" \
  --query RouteId --output text)
expect "get-routes" "$(apigw2 get-routes --api-id "$hapi" --query 'length(Items)' --output text)" "2"
apigw2 create-stage --api-id "$hapi" --stage-name prod --stage-variables tier=gold >/dev/null
hdep=$(apigw2 create-deployment --api-id "$hapi" --stage-name prod --query DeploymentId --output text)
wait_served "$hapi" prod "$hdep"
hurl="http://$HTTP/restapis/$hapi/prod/_user_request_"
contains "invoke NATS_PROXY" "$(curl -s "$hurl/pets")" '"type":"dog"'
contains "invoke HTTP_PROXY" "$(curl -s "$hurl/http/pets/2")" '"type":"cat"'
expect "no route" "$(curl -s -o /dev/null -w '%{http_code}' "$hurl/nothing")" "404"

# $default stage with auto-deploy: a new route is served without create-deployment.
expect "create-stage \$default" "$(apigw2 create-stage --api-id "$hapi" --stage-name '$default' --auto-deploy \
  --query '[StageName,AutoDeploy]' --output text)" '$default	True'
ddep=$(apigw2 get-stage --api-id "$hapi" --stage-name '$default' --query DeploymentId --output text)
wait_served "$hapi" '$default' "$ddep"
durl="http://$HTTP/restapis/$hapi/\$default/_user_request_"
contains "invoke \$default" "$(curl -s "$durl/pets")" '"type":"dog"'
apigw2 update-route --api-id "$hapi" --route-id "$rid" --route-key 'GET /shop/{id}' >/dev/null
ddep2=$(apigw2 get-stage --api-id "$hapi" --stage-name '$default' --query DeploymentId --output text)
[ "$ddep2" != "$ddep" ] || fail "auto-deploy did not move \$default after update-route"
wait_served "$hapi" '$default' "$ddep2"
contains "invoke auto-deployed route" "$(curl -s "$durl/shop/3")" '"type":"fish"'
expect "prod unchanged" "$(curl -s -o /dev/null -w '%{http_code}' "$hurl/shop/3")" "404"
expect "auto-deployed flag" "$(apigw2 get-deployment --api-id "$hapi" --deployment-id "$ddep2" --query AutoDeployed --output text)" "True"

# update-stage variables, route deletion, deletion of everything.
expect "update-stage v2" "$(apigw2 update-stage --api-id "$hapi" --stage-name prod --stage-variables tier=silver \
  --query StageVariables.tier --output text)" "silver"
err=$(apigw2 delete-integration --api-id "$hapi" --integration-id "$httpint" 2>&1 || true)
contains "delete used integration" "$err" "BadRequestException"
apigw2 delete-route --api-id "$hapi" --route-id "$rid"
apigw2 delete-integration --api-id "$hapi" --integration-id "$httpint"
expect "integrations left" "$(apigw2 get-integrations --api-id "$hapi" --query 'Items[].IntegrationType' --output text)" "NATS_PROXY"
apigw2 delete-stage --api-id "$hapi" --stage-name prod
wait_gone "$hapi" prod
apigw2 delete-api --api-id "$hapi"
err=$(apigw2 get-api --api-id "$hapi" 2>&1 || true)
contains "http api deleted" "$err" "NotFoundException"
wait_gone "$hapi" '$default'

# import-api from an OpenAPI document, served on $default, exported again, reimported.
cat >"$tmp/shop.yaml" <<'DOC'
openapi: 3.0.1
info: {title: script-import, version: "1"}
paths:
  /pets:
    get:
      x-amazon-apigateway-integration: {type: nats_proxy, uri: petstore.pets.list}
DOC
iapi=$(apigw2 import-api --body "file://$tmp/shop.yaml" --query ApiId --output text)
expect "import-api routes" "$(apigw2 get-routes --api-id "$iapi" --query 'Items[].RouteKey' --output text)" "GET /pets"
idep=$(apigw2 create-stage --api-id "$iapi" --stage-name '$default' --auto-deploy --query DeploymentId --output text)
wait_served "$iapi" '$default' "$idep"
contains "invoke imported" "$(curl -s "http://$HTTP/restapis/$iapi/\$default/_user_request_/pets")" '"type":"dog"'
apigw2 export-api --api-id "$iapi" --specification OAS30 --output-type YAML "$tmp/export.yaml" >/dev/null
contains "export-api" "$(cat "$tmp/export.yaml")" "petstore.pets.list"
sed -i 's#/pets:#/animals:#' "$tmp/export.yaml"
apigw2 reimport-api --api-id "$iapi" --body "file://$tmp/export.yaml" >/dev/null
expect "reimport-api routes" "$(apigw2 get-routes --api-id "$iapi" --query 'Items[].RouteKey' --output text)" "GET /animals"
idep2=$(apigw2 get-stage --api-id "$iapi" --stage-name '$default' --query DeploymentId --output text)
wait_served "$iapi" '$default' "$idep2"
contains "invoke reimported" "$(curl -s "http://$HTTP/restapis/$iapi/\$default/_user_request_/animals")" '"type":"dog"'
apigw2 delete-api --api-id "$iapi"

echo "PASS: AWS CLI HTTP API lifecycle"
