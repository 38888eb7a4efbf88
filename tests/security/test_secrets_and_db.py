"""The secret key, the project's own PostgreSQL cluster (passwords, a non-superuser app role) and
the modes of what Remix writes under var/."""

import os
import stat
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
PGPASS = ROOT / "var" / "secrets" / "pgpass"


def _django(env_overrides: dict, code: str = "import django; django.setup(); print('started')"):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_SECRET_KEY")}
    env.update(env_overrides)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_without_a_secret_key_and_debug_off_the_app_refuses_to_start(tmp_path):
    done = _django({"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY_FILE": str(tmp_path / "missing")})
    assert done.returncode != 0
    assert "refuses to start without a secret key" in done.stderr
    assert "DJANGO_SECRET_KEY" in done.stderr


def test_the_key_comes_from_the_environment_or_the_generated_file(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("a-key-from-a-file-" + "x" * 40)
    code = "import django; django.setup(); from django.conf import settings; print(settings.SECRET_KEY)"
    assert (
        _django({"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY_FILE": str(key_file)}, code).stdout.strip()
        == key_file.read_text()
    )
    assert (
        _django({"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "from-the-env-" + "y" * 40}, code).stdout.strip()
        == "from-the-env-" + "y" * 40
    )


def test_make_generates_the_key_once_into_a_private_file():
    key = ROOT / "var" / "secrets" / "django-secret-key"
    subprocess.run(["scripts/secrets.sh"], cwd=ROOT, check=True, capture_output=True)
    first = key.read_text()
    subprocess.run(["scripts/secrets.sh"], cwd=ROOT, check=True, capture_output=True)
    assert key.read_text() == first and len(first) >= 50
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
    assert "var/" in (ROOT / ".gitignore").read_text().split()


def test_files_remix_writes_are_not_world_readable(tmp_path):
    """The process umask set by the settings applies to deliveries, exports and logs alike."""
    path = tmp_path / "export.gpkg"
    path.write_bytes(b"x")
    (tmp_path / "folder").mkdir()
    assert stat.S_IMODE(path.stat().st_mode) & 0o007 == 0
    assert stat.S_IMODE((tmp_path / "folder").stat().st_mode) & 0o007 == 0


# --- the project's own cluster (skipped when DATABASE_URL points at another PostgreSQL) -------------


def _own_cluster() -> dict:
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    port = os.environ.get("REMIX_PG_PORT", "54329")
    if not PGPASS.is_file() or parts.hostname != "127.0.0.1" or str(parts.port) != port:
        pytest.skip("the tests run against a PostgreSQL that is not the project's own cluster")
    return {"host": "127.0.0.1", "port": parts.port, "dbname": parts.path.lstrip("/")}


def _password(role: str) -> str:
    for line in PGPASS.read_text().splitlines():
        host, _port, _db, user, password = line.split(":", 4)
        if host == "127.0.0.1" and user == role:
            return password
    raise AssertionError(f"no password for {role} in {PGPASS}")


def test_the_password_file_is_private():
    _own_cluster()
    assert stat.S_IMODE(PGPASS.stat().st_mode) == 0o600


@pytest.mark.parametrize("role", ["remix", "remix_app"])
def test_a_connection_without_the_password_is_refused(role, tmp_path):
    target = _own_cluster()
    empty = tmp_path / "pgpass"
    empty.write_text("")
    empty.chmod(0o600)
    env = {**os.environ, "PGPASSFILE": str(empty)}
    env.pop("PGPASSWORD", None)
    done = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-p",
            str(target["port"]),
            "-U",
            role,
            "-d",
            target["dbname"],
            "-w",
            "-Atc",
            "SELECT 1",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode != 0
    assert "no password supplied" in done.stderr or "password authentication failed" in done.stderr
    with pytest.raises(psycopg.OperationalError, match="password"):
        psycopg.connect(**target, user=role, password="not-the-password", connect_timeout=5)


def test_the_app_role_is_no_superuser_and_reaches_only_what_it_needs():
    target = _own_cluster()
    with psycopg.connect(**target, user="remix_app", password=_password("remix_app"), autocommit=True) as conn:
        row = conn.execute("SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user")
        assert row.fetchone() == (False, False, False)
        # Reads and writes the tables the migrations made...
        conn.execute("SELECT count(*) FROM django_migrations").fetchone()
        with conn.transaction():
            conn.execute("INSERT INTO django_session VALUES ('security-test', 'x', now())")
            raise_rollback = conn.execute("DELETE FROM django_session WHERE session_key = 'security-test'")
            assert raise_rollback.rowcount == 1
        # ...stages deliveries in its own schema...
        conn.execute("CREATE UNLOGGED TABLE consegne_staging.security_test (i integer)")
        conn.execute("DROP TABLE consegne_staging.security_test")
        # ...but cannot change the schema, read server files or run programs.
        for statement in (
            "CREATE TABLE public.security_test (i integer)",
            "DROP TABLE django_migrations",
            "COPY django_migrations TO PROGRAM 'true'",
            "SELECT pg_read_file('postgresql.conf')",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)


def test_the_settings_read_the_password_file_of_the_own_cluster():
    _own_cluster()
    assert os.environ.get("PGPASSFILE") == str(PGPASS) or settings.DATABASES["default"]["PASSWORD"]


def _check_deploy(**env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REMIX_ENV"))}
    base.update({"DJANGO_SECRET_KEY": "k" + os.urandom(32).hex(), "DJANGO_ALLOWED_HOSTS": "remix.example.org", **env})
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_reports_nothing_in_production():
    done = _check_deploy(REMIX_ENV="production")
    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout
    # The same check outside production does warn (HTTPS, cookies, HSTS): the settings make the difference.
    local = _check_deploy()
    assert local.returncode != 0 and "security.W008" in local.stderr + local.stdout


def test_production_answers_as_behind_a_tls_proxy():
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            (
                "import django; django.setup(); from django.conf import settings as s; "
                "print(s.SECURE_PROXY_SSL_HEADER, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
                "s.SECURE_SSL_REDIRECT, "
                "s.SECURE_HSTS_SECONDS >= 31536000)"
            ),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "REMIX_ENV": "production", "DJANGO_SECRET_KEY": "k" * 60},
    )
    assert done.stdout.split() == ["('HTTP_X_FORWARDED_PROTO',", "'https')", "True", "True", "True", "True"]
