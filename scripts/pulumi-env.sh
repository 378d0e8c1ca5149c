#!/usr/bin/env bash
# Prints the shell exports for running `pulumi` by hand against this repo's
# local stacks (the demo's and your own sandbox stacks), the same way the demo
# and the tests run it:  eval "$(bash scripts/pulumi-env.sh)"
# The file backend and a random passphrase live in the gitignored .pulumi-state/.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
state=$repo/.pulumi-state
bin=$(bash "$repo/scripts/toolchain.sh")
mkdir -p "$state/backend"
if [[ ! -f $state/passphrase ]]; then
  (umask 077 && head -c 24 /dev/urandom | base64 | tr '+/' '-_' >"$state/passphrase")
fi
printf 'export %s\n' \
  "PATH=\"$bin:$repo/node_modules/.bin:\$PATH\"" \
  "PULUMI_BACKEND_URL=\"file://$state/backend\"" \
  "PULUMI_CONFIG_PASSPHRASE_FILE=\"$state/passphrase\"" \
  "PULUMI_HOME=\"$state/home\"" \
  "PULUMI_SKIP_UPDATE_CHECK=true" \
  "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true"
