"""manage.py api_token USERNAME NAME [--days N]: make an API token and print its key (shown only once)."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from remix.models import ApiToken


class Command(BaseCommand):
    help = "Create an API token for a user; clients send it as 'Authorization: Token <key>'."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("name", help="what the token is for")
        parser.add_argument("--days", type=int, default=365, help="validity in days (0: no expiry)")

    def handle(self, *args, username, name, days, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {username!r}")
        expires = timezone.now() + timedelta(days=days) if days > 0 else None
        _token, key = ApiToken.issue(user, name, expires)
        self.stdout.write(key)
