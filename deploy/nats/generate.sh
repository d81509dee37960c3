#!/bin/sh
# Generates a nats-server configuration with one nkey user per satellite (docs/security.md, "NATS").
#   deploy/nats/generate.sh <dir> <satellite-id>...
# Environment: NATS_LISTEN (default 127.0.0.1:4222), SENTRA_SUBJECT_PREFIX (default none).
# Writes <dir>/nats-server.conf, <dir>/nats-auth.conf, <dir>/coordinator.nk and
# <dir>/satellite-<id>.nk (seeds, mode 0600). Needs `npm run build` first.
set -eu
if [ "$#" -lt 2 ]; then
  echo "usage: $0 <dir> <satellite-id>..." >&2
  exit 2
fi
dir=$1
shift
repo=$(cd "$(dirname "$0")/../.." && pwd)
exec node "$repo/cli/dist/main.js" nats-config --dir "$dir" --listen "${NATS_LISTEN:-127.0.0.1:4222}" \
  --subject-prefix "${SENTRA_SUBJECT_PREFIX:-}" --satellite "$@"
