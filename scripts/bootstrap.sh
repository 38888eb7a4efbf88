#!/usr/bin/env bash
# Installs what Remix needs and is missing: Debian packages, then the Python virtual environment.
# Idempotent and fast when nothing is missing (a second run takes about a second).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${REMIX_VENV:-.venv}
PACKAGES=$(grep -vE '^\s*(#|$)' scripts/debian-packages.txt)

say() { printf '\033[1m[remix]\033[0m %s\n' "$*"; }

if [ ! -f /etc/debian_version ] || ! command -v apt-get >/dev/null 2>&1; then
  cat >&2 <<'MSG'
[remix] This machine is not Debian-like, so the setup cannot install system packages by itself.
        Either install the equivalents of scripts/debian-packages.txt (PostgreSQL 15 + PostGIS 3,
        GDAL 3.6+, MapServer 8 with mapscript, gettext, Chromium for the browser tests, Python 3.11)
        and run 'make run' again, or use the containers: see docker/README.md
        ('docker compose -f docker/compose.yaml up').
MSG
  exit 1
fi

missing=()
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    say "Missing Debian packages: ${missing[*]}"
    say "Run 'make run' as root once, or: sudo apt-get install ${missing[*]}"
    exit 1
  fi
  say "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts a system cluster when postgresql is installed; Remix never uses or touches it.
fi

PY=${REMIX_PYTHON:-python3}
stamp="$VENV/.remix-stamp"
want=$(cat pyproject.toml | sha256sum | cut -c1-16)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  say "Preparing the Python virtual environment in $VENV"
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -e '.[dev]'
  echo "$want" > "$stamp"
fi
