#!/usr/bin/env bash
# Runs the whole test suite: installs the tools (first time), checks formatting and lints, runs
# every test of the workspace (unit, integration, doc, macro UI, and the function binaries under
# the Lambda Runtime Interface Emulator).
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
echo "== cargo test" >&2
cargo test --workspace --all-features --locked
