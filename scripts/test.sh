#!/usr/bin/env bash
# Runs the whole test suite: installs the tools (first time), checks formatting and lints, lints
# the SAM template, builds every function as the template deploys it (arm64, size targets), builds
# the bootstraps that run on this machine, and runs every test of the workspace (unit,
# integration, doc, macro UI, routing of every sample event through template.yaml, the function
# binaries under the Lambda Runtime Interface Emulator, the release panic fixture, AWS calls
# against moto). Prints how long each step took.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
# shellcheck source=scripts/env.sh
source scripts/env.sh

step() {
  local name="$1" started=$SECONDS
  shift
  echo "== $name" >&2
  "$@"
  echo "== $name: $((SECONDS - started)) s" >&2
}

step "cargo fmt --check" cargo fmt --all -- --check
step "cargo clippy" cargo clippy --workspace --all-targets --all-features --locked -- -D warnings
step "template lints (cfn-lint, cfn-lint-serverless, sam validate --lint)" bash scripts/lint-template.sh
step "arm64 release builds of every function, as deployed (cargo lambda, size targets)" bash scripts/build-functions.sh
step "bootstraps for this machine (debug functions, release panic fixture)" bash scripts/build-host-bootstraps.sh
step "cargo test" cargo test --workspace --all-features --locked
echo "== all passed in $SECONDS s" >&2
