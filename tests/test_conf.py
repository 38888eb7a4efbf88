"""Settings are stated once per app (``<app>/conf.py``) and read through it, at each access."""

import importlib
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

ROOT = Path(__file__).resolve().parent.parent
CONFS = ["remix.conf", "layers.conf", "mappature.conf", "etl.conf", "consegne.conf", "incontri.conf", "indicatori.conf"]
APPS = ["background", "consegne", "etl", "incontri", "indicatori", "layers", "mappature", "remix", "bench"]
# The conf modules themselves, the project's values, and remix/storage.py (a storage is named by its setting).
# bench/b_atlas_build.py sets a value (points the atlas folder elsewhere for its run).
ALLOWED = {"remix/conf.py", "background/conf.py", "remix/settings.py", "remix/storage.py", "bench/b_atlas_build.py"}
READ = re.compile(r"settings\.REMIX\b(?!_)|getattr\(settings,")


def test_no_code_reads_the_settings_around_its_app_conf():
    offenders = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel in ALLOWED or "/migrations/" in rel:
                continue
            for n, line in enumerate(path.read_text().splitlines(), 1):
                code = line.split("#", 1)[0]
                if READ.search(code) and "``" not in code:
                    offenders.append(f"{rel}:{n}: {line.strip()}")
    assert offenders == []


@pytest.mark.parametrize("module", CONFS)
def test_every_setting_has_its_default_and_the_projects_value_wins(module):
    conf = importlib.import_module(module)
    assert conf.DEFAULTS
    for name in conf.DEFAULTS:
        expected = settings.REMIX[name] if name in settings.REMIX else conf.DEFAULTS[name]
        if callable(expected):
            expected = expected()
        assert getattr(conf, name) == expected
    name = next(iter(conf.DEFAULTS))
    with override_settings(REMIX={**settings.REMIX, name: "overridden"}):
        assert getattr(conf, name) == "overridden"
    without = {k: v for k, v in settings.REMIX.items() if k != name}
    with override_settings(REMIX=without):
        default = conf.DEFAULTS[name]
        assert getattr(conf, name) == (default() if callable(default) else default)


def test_an_unknown_setting_is_an_error_not_none():
    from mappature import conf

    with pytest.raises(AttributeError):
        conf.API_MAX_PAGES  # noqa: B018 - the typo must fail loudly


def test_jobs_settings_fall_back_key_by_key():
    from background import conf

    with override_settings(REMIX={**settings.REMIX, "JOBS": {"heartbeat_s": 1.5}}):
        assert conf.job("heartbeat_s") == 1.5
        assert conf.job("keep_days") == conf.JOBS["keep_days"]
