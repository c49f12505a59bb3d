#!/usr/bin/env bash
# The AWS CLI's wafv2 commands put a web ACL in front of a REST API stage of a running
# `portico serve`: an IP set, a web ACL with a header rule, an IP-set-and-query rule and a
# custom response, associate-web-acl with the stage's ARN, requests blocked with WAF_FILTERED
# (curl through the edge), an IP set update reaching the edge, optimistic locking, the
# associated-item guard, disassociate and delete. Every step asserts on what the CLI or curl printed.
source "$(dirname "$0")/test-awscli-lib.sh"

wafv2() { aws wafv2 --endpoint-url "http://$ADMIN" --region us-east-1 "$@"; }

echo "== REST API with a MOCK integration, stage prod"
api=$(apigw create-rest-api --name script-waf --query id --output text)
root=$(apigw get-resources --rest-api-id "$api" --query 'items[?path==`/`].id' --output text)
hid=$(apigw create-resource --rest-api-id "$api" --parent-id "$root" --path-part hello --query id --output text)
apigw put-method --rest-api-id "$api" --resource-id "$hid" --http-method GET --authorization-type NONE >/dev/null
apigw put-integration --rest-api-id "$api" --resource-id "$hid" --http-method GET --type MOCK \
  --request-templates '{"application/json":"{\"statusCode\": 200}"}' >/dev/null
apigw put-method-response --rest-api-id "$api" --resource-id "$hid" --http-method GET --status-code 200 >/dev/null
apigw put-integration-response --rest-api-id "$api" --resource-id "$hid" --http-method GET --status-code 200 \
  --response-templates '{"application/json":"{\"hello\":\"world\"}"}' >/dev/null
dep=$(apigw create-deployment --rest-api-id "$api" --stage-name prod --query id --output text)
wait_served "$api" prod "$dep"
url="http://$HTTP/restapis/$api/prod/_user_request_/hello"
expect "invoke before WAF" "$(curl -s "$url")" '{"hello":"world"}'

echo "== IP set and web ACL"
read -r ipid iparn <<<"$(wafv2 create-ip-set --name loopback --scope REGIONAL --ip-address-version IPV4 \
  --addresses 127.0.0.1/32 --description "this machine" --query 'Summary.[Id,ARN]' --output text)"
contains "create-ip-set ARN" "$iparn" ":regional/ipset/loopback/$ipid"
expect "get-ip-set addresses" "$(wafv2 get-ip-set --name loopback --scope REGIONAL --id "$ipid" \
  --query 'IPSet.Addresses[0]' --output text)" "127.0.0.1/32"
cat >"$tmp/rules.json" <<JSON
[
  {"Name": "no-evil", "Priority": 0, "Action": {"Block": {}},
   "VisibilityConfig": {"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "no-evil"},
   "Statement": {"ByteMatchStatement": {"SearchString": "evil", "FieldToMatch": {"SingleHeader": {"Name": "x-probe"}},
     "TextTransformations": [{"Priority": 0, "Type": "LOWERCASE"}], "PositionalConstraint": "CONTAINS"}}},
  {"Name": "local-admin", "Priority": 1, "Action": {"Block": {}},
   "VisibilityConfig": {"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "local-admin"},
   "Statement": {"AndStatement": {"Statements": [
     {"IPSetReferenceStatement": {"ARN": "$iparn"}},
     {"ByteMatchStatement": {"SearchString": "1", "FieldToMatch": {"SingleQueryArgument": {"Name": "admin"}},
       "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "EXACTLY"}}]}}},
  {"Name": "teapot", "Priority": 2,
   "Action": {"Block": {"CustomResponse": {"ResponseCode": 418, "CustomResponseBodyKey": "tea",
     "ResponseHeaders": [{"Name": "x-waf-rule", "Value": "teapot"}]}}},
   "VisibilityConfig": {"SampledRequestsEnabled": false, "CloudWatchMetricsEnabled": false, "MetricName": "teapot"},
   "Statement": {"ByteMatchStatement": {"SearchString": "POST", "FieldToMatch": {"Method": {}},
     "TextTransformations": [{"Priority": 0, "Type": "NONE"}], "PositionalConstraint": "EXACTLY"}}}
]
JSON
read -r aclid aclarn <<<"$(wafv2 create-web-acl --name portico-acl --scope REGIONAL --default-action Allow={} \
  --visibility-config SampledRequestsEnabled=false,CloudWatchMetricsEnabled=false,MetricName=portico-acl \
  --custom-response-bodies '{"tea":{"ContentType":"APPLICATION_JSON","Content":"{\"error\":\"I am a teapot\"}"}}' \
  --rules "file://$tmp/rules.json" --query 'Summary.[Id,ARN]' --output text)"
contains "create-web-acl ARN" "$aclarn" ":regional/webacl/portico-acl/$aclid"
expect "get-web-acl rules" "$(wafv2 get-web-acl --name portico-acl --scope REGIONAL --id "$aclid" \
  --query 'join(`,`, WebACL.Rules[].Name)' --output text)" "no-evil,local-admin,teapot"
expect "list-web-acls" "$(wafv2 list-web-acls --scope REGIONAL --query 'WebACLs[].Name' --output text)" "portico-acl"

echo "== associate with the stage"
stagearn="arn:aws:apigateway:us-east-1::/restapis/$api/stages/prod"
wafv2 associate-web-acl --web-acl-arn "$aclarn" --resource-arn "$stagearn"
expect "get-stage webAclArn" "$(apigw get-stage --rest-api-id "$api" --stage-name prod --query webAclArn --output text)" "$aclarn"
expect "get-web-acl-for-resource" "$(wafv2 get-web-acl-for-resource --resource-arn "$stagearn" --query WebACL.Name --output text)" "portico-acl"
expect "list-resources-for-web-acl" "$(wafv2 list-resources-for-web-acl --web-acl-arn "$aclarn" --resource-type API_GATEWAY \
  --query 'ResourceArns[0]' --output text)" "$stagearn"
# The edge applies the association as soon as it sees the stage change.
for _ in $(seq 1 100); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' -H 'x-probe: EVIL' "$url")" = 403 ] && break
  sleep 0.05
done
expect "blocked by no-evil" "$(curl -s -H 'x-probe: an EVIL probe' "$url")" '{"message":"Forbidden"}'
# (header names are case-insensitive; fasthttp writes them in canonical form)
contains "WAF_FILTERED headers" "$(curl -s -D - -o /dev/null -H 'x-probe: evil' "$url" | tr -d '\r' | tr 'A-Z' 'a-z')" "x-amzn-errortype: forbiddenexception"
expect "clean request passes" "$(curl -s "$url")" '{"hello":"world"}'
expect "blocked by local-admin" "$(curl -s -o /dev/null -w '%{http_code}' "$url?admin=1")" "403"
expect "custom response status" "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url")" "418"
expect "custom response body" "$(curl -s -X POST "$url")" '{"error":"I am a teapot"}'
contains "custom response header" "$(curl -s -D - -o /dev/null -X POST "$url" | tr -d '\r' | tr 'A-Z' 'a-z')" "x-waf-rule: teapot"

echo "== IP set update reaches the edge; optimistic locking"
lock=$(wafv2 get-ip-set --name loopback --scope REGIONAL --id "$ipid" --query LockToken --output text)
next=$(wafv2 update-ip-set --name loopback --scope REGIONAL --id "$ipid" --addresses 192.0.2.1/32 --lock-token "$lock" \
  --query NextLockToken --output text)
[ -n "$next" ] && [ "$next" != "$lock" ] || fail "update-ip-set NextLockToken [$next] (old [$lock])"
for _ in $(seq 1 100); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "$url?admin=1")" = 200 ] && break
  sleep 0.05
done
expect "loopback no longer in the IP set" "$(curl -s "$url?admin=1")" '{"hello":"world"}'
if out=$(wafv2 update-ip-set --name loopback --scope REGIONAL --id "$ipid" --addresses 10.0.0.0/8 --lock-token "$lock" 2>&1); then
  fail "update-ip-set with a stale lock token succeeded"
fi
contains "stale lock token" "$out" "WAFOptimisticLockException"
acllock=$(wafv2 get-web-acl --name portico-acl --scope REGIONAL --id "$aclid" --query LockToken --output text)
if out=$(wafv2 delete-web-acl --name portico-acl --scope REGIONAL --id "$aclid" --lock-token "$acllock" 2>&1); then
  fail "delete-web-acl of an associated web ACL succeeded"
fi
contains "delete associated web ACL" "$out" "WAFAssociatedItemException"
if out=$(wafv2 create-ip-set --name bad --scope REGIONAL --ip-address-version IPV4 --addresses 300.1.1.1/32 2>&1); then
  fail "create-ip-set with a bad address succeeded"
fi
contains "bad address" "$out" "WAFInvalidParameterException"

echo "== disassociate and delete"
wafv2 disassociate-web-acl --resource-arn "$stagearn"
for _ in $(seq 1 100); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' -H 'x-probe: evil' "$url")" = 200 ] && break
  sleep 0.05
done
expect "no WAF after disassociate" "$(curl -s -H 'x-probe: evil' "$url")" '{"hello":"world"}'
wafv2 delete-web-acl --name portico-acl --scope REGIONAL --id "$aclid" --lock-token "$acllock"
lock=$(wafv2 get-ip-set --name loopback --scope REGIONAL --id "$ipid" --query LockToken --output text)
wafv2 delete-ip-set --name loopback --scope REGIONAL --id "$ipid" --lock-token "$lock"
expect "list-web-acls empty" "$(wafv2 list-web-acls --scope REGIONAL --query 'length(WebACLs)' --output text)" "0"
expect "list-ip-sets empty" "$(wafv2 list-ip-sets --scope REGIONAL --query 'length(IPSets)' --output text)" "0"
echo "PASS: test-awscli-waf.sh"
