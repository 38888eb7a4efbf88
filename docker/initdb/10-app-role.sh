#!/bin/sh
# The role the app servers and MapServer use: no superuser, reads and writes the tables the owner
# (POSTGRES_USER, which runs the migrations) makes, creates its staging tables in consegne_staging.
set -eu
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -v pw="$APP_DB_PASSWORD" <<'SQL'
CREATE ROLE remix_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'pw';
GRANT CONNECT, TEMPORARY ON DATABASE remix TO remix_app;
GRANT USAGE ON SCHEMA public TO remix_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO remix_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO remix_app;
CREATE SCHEMA consegne_staging;
GRANT USAGE, CREATE ON SCHEMA consegne_staging TO remix_app;
SQL
