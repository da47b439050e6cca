#!/usr/bin/env bash
# Builds every function under functions/ as the template deploys it: `cargo lambda build --release
# --arm64` (the command `sam build` runs for `Architectures: [arm64]`, with zig from .venv), into
# target/lambda/<name>/bootstrap.zip, and checks those artifacts: each bootstrap is an aarch64
# executable, bootstrap <= 10 MiB, zip <= 4 MiB. Prints one line per function; any function over
# a target (or not arm64) fails the script.
#
# These bootstraps do not run on an x86_64 machine: localbus and the tests run the host-processor
# builds of scripts/build-host-bootstraps.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/env.sh
source scripts/env.sh
# The arm64 standard library (a no-op once installed).
rustup target add aarch64-unknown-linux-gnu >&2
packages=()
for dir in functions/*/; do packages+=(-p "$(basename "$dir")"); done
cargo lambda build --release --arm64 --locked --output-format zip "${packages[@]}"
target="${CARGO_TARGET_DIR:-$root/target}"
python3 - "$target/lambda" functions/*/ <<'PY'
import os, sys, zipfile
lambda_dir, dirs = sys.argv[1], sys.argv[2:]
max_bootstrap, max_zip = 10 * 1024 * 1024, 4 * 1024 * 1024
EM_AARCH64 = 183
failed = False
print(f"{'function (arm64)':<20} {'bootstrap (bytes)':>18} {'zip (bytes)':>12}")
for d in dirs:
    name = os.path.basename(os.path.normpath(d))
    path = os.path.join(lambda_dir, name, "bootstrap.zip")
    with zipfile.ZipFile(path) as z:
        bootstrap = z.getinfo("bootstrap").file_size
        header = z.open("bootstrap").read(20)
    machine = int.from_bytes(header[18:20], "little") if header[:4] == b"\x7fELF" else None
    size = os.path.getsize(path)
    problems = []
    if machine != EM_AARCH64:
        problems.append(f"NOT ARM64 (ELF machine {machine})")
    if bootstrap > max_bootstrap or size > max_zip:
        problems.append("OVER TARGET")
    failed |= bool(problems)
    print(f"{name:<20} {bootstrap:>18,} {size:>12,}{'  ' + ', '.join(problems) if problems else ''}")
sys.exit(1 if failed else 0)
PY
