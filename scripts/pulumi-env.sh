#!/usr/bin/env bash
# Prints the shell exports for running `pulumi` by hand against this repo's
# local stacks (the demo's and your own sandbox stacks), the same settings the
# demo and the tests use (tests/support/pulumiEnv.ts):  eval "$(bash scripts/pulumi-env.sh)"
# The file backend and a random passphrase live in the gitignored .pulumi-state/.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
exec npx --no-install tsx tests/support/pulumiEnv.ts
