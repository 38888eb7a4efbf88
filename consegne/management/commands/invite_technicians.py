"""manage.py invite_technicians accounts.csv: create or update accounts and e-mail password-set links."""

from __future__ import annotations

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from consegne.invitations import InvitationError, invite_from_csv


class Command(BaseCommand):
    help = (
        "Create or update accounts from a CSV with the columns username, email, comune (ISTAT code or name), "
        "role (tecnico, staff, admin) and e-mail each new account a link to set its password. "
        "Every row is checked first: with any bad row nothing is created."
    )

    def add_arguments(self, parser):
        parser.add_argument("csv", type=Path, help="UTF-8 CSV file (comma, semicolon or tab separated)")
        parser.add_argument(
            "--base-url",
            default=os.environ.get("REMIX_BASE_URL", "http://127.0.0.1:8000"),
            help="address of Remix in the links (default: REMIX_BASE_URL or http://127.0.0.1:8000)",
        )
        parser.add_argument("--lang", choices=["it", "en"], default="it", help="language of the e-mails")

    def handle(self, *args, csv: Path, base_url: str, lang: str, **options):
        try:
            text = csv.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as err:
            raise CommandError(f"{csv}: {err}") from err
        try:
            result = invite_from_csv(text, base_url, lang)
        except InvitationError as err:
            raise CommandError(f"{csv}: nothing was created:\n" + "\n".join(err.errors)) from err
        self.stdout.write(
            f"created: {len(result.created)}, updated: {len(result.updated)}, invitations sent: {len(result.invited)}"
        )
