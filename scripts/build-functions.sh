#!/usr/bin/env bash
# Builds every function under functions/ as Lambda runs it (`cargo lambda build --release`, the
# command `sam build` runs, x86_64 with zig from .venv) and checks the size targets: stripped
# bootstrap <= 10 MiB, zip <= 4 MiB. Leaves both target/lambda/<name>/bootstrap.zip and
# target/lambda/<name>/bootstrap. Prints one line per function; any function over a target
# fails the script.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=scripts/env.sh
source scripts/env.sh
packages=()
for dir in functions/*/; do packages+=(-p "$(basename "$dir")"); done
cargo lambda build --release --locked --output-format zip "${packages[@]}"
# The same build again as plain bootstraps (nothing recompiles): target/lambda/<name>/bootstrap,
# which `localbus send` runs under the Runtime Interface Emulator.
cargo lambda build --release --locked "${packages[@]}"
target="${CARGO_TARGET_DIR:-$root/target}"
python3 - "$target/lambda" functions/*/ <<'PY'
import os, sys, zipfile
lambda_dir, dirs = sys.argv[1], sys.argv[2:]
max_bootstrap, max_zip = 10 * 1024 * 1024, 4 * 1024 * 1024
failed = False
print(f"{'function':<20} {'bootstrap (bytes)':>18} {'zip (bytes)':>12}")
for d in dirs:
    name = os.path.basename(os.path.normpath(d))
    path = os.path.join(lambda_dir, name, "bootstrap.zip")
    with zipfile.ZipFile(path) as z:
        bootstrap = z.getinfo("bootstrap").file_size
    size = os.path.getsize(path)
    over = bootstrap > max_bootstrap or size > max_zip
    failed |= over
    print(f"{name:<20} {bootstrap:>18,} {size:>12,}{'  OVER TARGET' if over else ''}")
sys.exit(1 if failed else 0)
PY
