"""Recompute the indicators that depend on a source that was just loaded."""


def on_source_loaded(sender, source, version, **kwargs):
    from .compute import refresh_dependants

    refresh_dependants(source.id, trigger=f"{source.id} v{version.version}")
