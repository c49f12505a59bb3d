#!/usr/bin/env bash
# Verifies that pkg/sigv4 accepts what real third-party signers produce: curl --aws-sigv4 and
# botocore's SigV4Auth (Debian: apt-get install -y curl awscli). The tests live in
# pkg/sigv4/clients_test.go; CI=true makes a missing tool a failure instead of a skip.
set -euo pipefail
cd "$(dirname "$0")/../pkg"
CI=true exec go test -count=1 -run 'TestCurlSigV4|TestBotocoreSigV4' -v ./sigv4/
