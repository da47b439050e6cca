#!/usr/bin/env bash
# Builds the bootstraps that run on this machine, under the Lambda Runtime Interface Emulator:
#
#   target/debug/<function>        every function, for this machine's processor (debug): what
#                                  localbus's tests and scripts/demo.sh run (--functions-dir
#                                  target/debug); the deployed arm64 builds come from
#                                  scripts/build-functions.sh and do not run on x86_64.
#   target/lambda-host/panicking-handler/bootstrap
#                                  the panic fixture (shared/testing/fixtures/panicking-handler),
#                                  built in release exactly as `sam build` builds a function
#                                  (`cargo lambda build --release`, for this machine's processor):
#                                  its RIE test proves the release profile keeps panic = "unwind".
#
# The tests refuse a bootstrap older than its sources; run this script again after a change.
# Cargo leaves a binary untouched when a change does not affect it (a new workspace member in
# Cargo.toml, say), so the script stamps every bootstrap once cargo has found it up to date: its
# time then says "built from the sources as they were at that moment".
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/env.sh
source scripts/env.sh
target="${CARGO_TARGET_DIR:-$root/target}"
# With the feature set of `cargo test --workspace --all-features` (dev-dependencies included, hence
# --tests), so the test run that follows reuses every compiled crate instead of building the
# dependency graph a second time with other features.
cargo build --locked --workspace --all-features --bins --tests
cargo lambda build --release --locked -p panicking-handler --lambda-dir "$target/lambda-host"
bootstraps=("$target/lambda-host/panicking-handler/bootstrap")
for dir in functions/*/; do bootstraps+=("$target/debug/$(basename "$dir")"); done
# The examples localbus's serve tests run (shared/localbus/tests/common/mod.rs).
bootstraps+=("$target/debug/partner-consumer" "$target/debug/example-minimal")
touch "${bootstraps[@]}"
