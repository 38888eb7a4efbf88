from django.apps import AppConfig


class RemixConfig(AppConfig):
    """The project itself as an app: API tokens, the `api_token` command."""

    name = "remix"
    verbose_name = "Remix"
    default_auto_field = "django.db.models.BigAutoField"
