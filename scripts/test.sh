#!/usr/bin/env bash
# Runs the whole test suite: installs the tools (first time), checks formatting and lints, runs
# every test of the workspace (unit, integration, doc, macro UI, routing of every sample event
# through template.yaml, the function binaries under the Lambda Runtime Interface Emulator, AWS
# calls against moto), lints the SAM template, and builds every function as Lambda builds it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
# shellcheck source=scripts/env.sh
source scripts/env.sh

echo "== cargo fmt --check" >&2
cargo fmt --all -- --check
echo "== cargo clippy" >&2
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings
echo "== template lints (cfn-lint, cfn-lint-serverless, sam validate --lint)" >&2
bash scripts/lint-template.sh
echo "== release builds of every function (cargo lambda, size targets)" >&2
bash scripts/build-functions.sh
echo "== cargo test" >&2
cargo test --workspace --all-features --locked
