#!/usr/bin/env bash
# Lints template.yaml three ways; any error or warning fails (exit code != 0).
#   1. cfn-lint: CloudFormation/SAM schema and best-practice rules
#      (.cfnlintrc also appends the cfn-lint-serverless rules).
#   2. cfn-lint with the cfn-lint-serverless rules named explicitly (tracing, log retention,
#      async on-failure destinations, rule-target DLQs, SQS redrive), so they run even if
#      .cfnlintrc is dropped. `-a` takes several values, so the template comes first.
#   3. sam validate --lint: the SAM translator, then cfn-lint in-process. Offline: dummy
#      credentials and region come from scripts/env.sh, telemetry is off.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/env.sh
source scripts/env.sh

run() {
    echo "+ $*"
    "$@"
}

run cfn-lint template.yaml
run cfn-lint template.yaml -a cfn_lint_serverless.rules
run sam validate --lint --template-file template.yaml --region "${AWS_REGION}"
echo "template.yaml: all lints passed"
