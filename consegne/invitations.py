"""Accounts from a CSV (username, email, comune, role) and invitations to set a password by e-mail.

For the 133 comuni: CMM staff prepare one CSV, `manage.py invite_technicians file.csv` (or the
admin's "Importa da CSV" page) checks every row first — a bad row names its line and field and
nothing is created — then creates the accounts without a password, with their role and comune,
and e-mails each a one-time link (Django's password-reset token, valid PASSWORD_RESET_TIMEOUT) to
set one. A user who already exists keeps their account: role and comune are updated, and the
invitation is sent again only while they have never set a password.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from mappature.models import Comune

from .errors import ConsegneError
from .models import Membership

COLUMNS = ("username", "email", "comune", "role")
MAX_ROWS = 5000
ROLES = {
    "tecnico": Membership.Role.TECNICO,
    "staff": Membership.Role.STAFF,
    "admin": Membership.Role.ADMIN,
    "tecnico comunale": Membership.Role.TECNICO,
    "personale cmm": Membership.Role.STAFF,
    "amministratore": Membership.Role.ADMIN,
}


class InvitationError(ConsegneError, ValueError):
    """The CSV cannot be used; ``errors`` lists every bad row ("riga N, campo X: …")."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class Row:
    line: int
    username: str
    email: str
    comune: Comune | None
    role: str


@dataclass
class Result:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    invited: list[str] = field(default_factory=list)


def parse(text: str) -> list[Row]:
    """Every row checked; InvitationError with all the problems found, or the rows."""
    text = text.lstrip("\ufeff")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise InvitationError(
            [
                _("Colonne mancanti nel CSV: %(columns)s (servono: %(all)s).")
                % {"columns": ", ".join(missing), "all": ", ".join(COLUMNS)}
            ]
        )
    reader.fieldnames = header
    comuni = {c.istat_code: c for c in Comune.objects.all()}
    by_name = {c.name.casefold(): c for c in comuni.values()}
    rows, errors, seen = [], [], set()
    for number, raw in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            errors.append(_("Il CSV supera le %(max)s righe.") % {"max": MAX_ROWS})
            break
        values = {k: (raw.get(k) or "").strip() for k in COLUMNS}
        if any(values.values()):
            rows.append(_check_row(number, values, comuni, by_name, seen, errors))
    if errors:
        raise InvitationError(errors)
    return rows


def _check_row(number: int, values: dict, comuni: dict, by_name: dict, seen: set, errors: list) -> Row:
    """One row as a Row; its problems appended to ``errors`` ("riga N, campo X: …")."""

    def bad(column, message):
        errors.append(
            _("riga %(line)s, campo %(field)s: %(message)s") % {"line": number, "field": column, "message": message}
        )

    username = values["username"]
    if not username or len(username) > 150:
        bad("username", _("obbligatorio, al massimo 150 caratteri"))
    elif username.casefold() in seen:
        bad("username", _("«%(value)s» compare più di una volta") % {"value": username})
    seen.add(username.casefold())
    try:
        validate_email(values["email"])
    except ValidationError:
        bad("email", _("«%(value)s» non è un indirizzo e-mail valido") % {"value": values["email"]})
    role = ROLES.get(values["role"].casefold())
    if role is None:
        bad("role", _("«%(value)s» non è un ruolo (tecnico, staff, admin)") % {"value": values["role"]})
    comune = (
        comuni.get(values["comune"].zfill(6))
        if values["comune"].isdigit()
        else by_name.get(values["comune"].casefold())
    )
    if values["comune"] and comune is None:
        bad(
            "comune",
            _("«%(value)s» non è un comune della Città metropolitana (codice ISTAT o nome)")
            % {"value": values["comune"]},
        )
    elif role == Membership.Role.TECNICO and comune is None:
        bad("comune", _("obbligatorio per un tecnico comunale"))
    return Row(number, username, values["email"], comune, role)


def invite_from_csv(text: str, base_url: str, lang: str = "it") -> Result:
    """Create or update the accounts of the CSV (all or none), then e-mail the invitations."""
    rows = parse(text)
    result = Result()
    to_invite = []
    user_model = get_user_model()
    with transaction.atomic():
        for row in rows:
            user = user_model.objects.filter(username__iexact=row.username).first()
            if user is None:
                user = user_model.objects.create_user(row.username, row.email)  # no usable password
                result.created.append(row.username)
            else:
                user.email = row.email
                user.save(update_fields=["email"])
                result.updated.append(user.username)
            Membership.objects.update_or_create(user=user, defaults={"role": row.role, "comune": row.comune})
            if not user.has_usable_password():
                to_invite.append(user)
    for user in to_invite:
        send_invitation(user, base_url, lang)
        result.invited.append(user.username)
    return result


def password_set_url(user, base_url: str, lang: str = "it") -> str:
    with translation.override(lang):
        path = reverse(
            "consegne:password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
    return base_url.rstrip("/") + path


def send_invitation(user, base_url: str, lang: str = "it") -> None:
    """The e-mail with the one-time link to set a password (console backend unless SMTP is set)."""
    with translation.override(lang):
        context = {
            "user": user,
            "url": password_set_url(user, base_url, lang),
            "days": settings.PASSWORD_RESET_TIMEOUT // 86400,
            "comune": getattr(getattr(user, "membership", None), "comune", None),
        }
        subject = render_to_string("consegne/email/invitation_subject.txt", context).strip()
        body = render_to_string("consegne/email/invitation.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
