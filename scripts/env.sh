# Sourced by the other scripts: puts the project's tools on PATH and keeps every AWS call local.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$root/.venv/bin:$PATH"
export SAM_CLI_TELEMETRY=0
# Dummy credentials and a region: tests talk to moto on 127.0.0.1, never to AWS.
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-testing}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-testing}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-$AWS_REGION}"
# The Lambda Runtime Interface Emulator shipped in the aws-sam-cli wheel.
LAMBDA_RIE="$("$root/.venv/bin/python" -c 'import os, platform, samcli
arch = "arm64" if platform.machine() in ("aarch64", "arm64") else "x86_64"
print(os.path.join(os.path.dirname(samcli.__file__), "local", "rapid", "aws-lambda-rie-" + arch))')"
export LAMBDA_RIE
