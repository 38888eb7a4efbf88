#!/usr/bin/env bash
# Keeps the secrets and the files Remix writes under var/ private to the user that runs it:
# generates the Django secret key once (var/secrets/django-secret-key, mode 0600; remix/settings.py
# reads it when DJANGO_SECRET_KEY is not set) and takes the world's access away from the folders
# that hold deliveries, exports, logs and keys. Idempotent; `make` runs it before anything else.
set -euo pipefail
cd "$(dirname "$0")/.."
umask 077
mkdir -p var/secrets
chmod 700 var/secrets
KEY=var/secrets/django-secret-key
if [ ! -s "$KEY" ]; then
  head -c 48 /dev/urandom | base64 | tr -d '\n=' > "$KEY.tmp"
  mv "$KEY.tmp" "$KEY"
  printf '\033[1m[remix]\033[0m %s\n' "Generated the Django secret key in $KEY"
fi
chmod 600 "$KEY"
# var/ and var/log can be traversed (the database's own user reaches its folders) but not listed.
chmod 711 var
for dir in consegne exports media rasters etl work synthetic ogc bench; do
  if [ -d "var/$dir" ]; then chmod -R go-rwx "var/$dir"; fi
done
if [ -d var/log ]; then
  chmod 711 var/log
  find var/log -maxdepth 1 -type f -exec chmod go-rwx {} +
fi
