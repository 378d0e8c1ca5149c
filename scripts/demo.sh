#!/usr/bin/env bash
# `npm run demo`: installs what is missing, then deploys the sample app to the
# local sandbox host, version 1 and then version 2 under load, and reports.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bash "$repo/scripts/setup.sh"
cd "$repo"
exec npx tsx scripts/demo.ts "$@"
