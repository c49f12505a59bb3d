#!/usr/bin/env bash
# The AWS CLI (apigatewayv2) drives a WebSocket API: routes selected by $request.body.action,
# a route response, a stage and a deployment the edge then serves, delete.
source "$(dirname "$0")/test-awscli-lib.sh"

echo "== WebSocket API with routes"
wapi=$(apigw2 create-api --name script-ws --protocol-type WEBSOCKET --route-selection-expression '$request.body.action' \
  --query ApiId --output text)
wint=$(apigw2 create-integration --api-id "$wapi" --integration-type NATS_PROXY --integration-uri petstore.echo \
  --query IntegrationId --output text)
for key in '$connect' '$disconnect' '$default' sendmessage; do
  apigw2 create-route --api-id "$wapi" --route-key "$key" --target "integrations/$wint" >/dev/null
done
expect "ws routes" "$(apigw2 get-routes --api-id "$wapi" --query 'sort(Items[].RouteKey)' --output text)" '$connect	$default	$disconnect	sendmessage'
srid=$(apigw2 get-routes --api-id "$wapi" --query 'Items[?RouteKey==`sendmessage`].RouteId' --output text)
expect "route response" "$(apigw2 create-route-response --api-id "$wapi" --route-id "$srid" --route-response-key '$default' \
  --query RouteResponseKey --output text)" '$default'
apigw2 create-stage --api-id "$wapi" --stage-name live >/dev/null
wdep=$(apigw2 create-deployment --api-id "$wapi" --stage-name live --query DeploymentId --output text)
wait_served "$wapi" live "$wdep"
contains "ws protocol at the edge" "$(curl -s "http://$HTTP/@portico/stages")" "\"apiId\":\"$wapi\",\"stage\":\"live\",\"deploymentId\":\"$wdep\",\"protocol\":\"WEBSOCKET\""
apigw2 delete-api --api-id "$wapi"
wait_gone "$wapi" live
echo "PASS: AWS CLI WebSocket API lifecycle"
