#!/usr/bin/env bash
# Stop redirecting plain HTTP to HTTPS
# Inputs: APP.
set -euo pipefail
rm -f "$HTTPS_FLAG"
