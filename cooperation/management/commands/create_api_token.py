"""Issue an API token from the command line, for scripts that provision partner systems:
the key alone goes to stdout, so ``KEY=$(python manage.py create_api_token ...)`` works."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cooperation.models import ApiToken


class Command(BaseCommand):
    help = (
        "Issue an API token for USERNAME and print its key, and only its key, on stdout. "
        "The key is not stored and cannot be shown again."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="The user the token acts as.")
        parser.add_argument(
            "--read-only",
            action="store_true",
            help="The token may read but never create, change or delete.",
        )
        parser.add_argument(
            "--expires-in",
            type=int,
            metavar="DAYS",
            help="The token stops working after DAYS days (default: never).",
        )
        parser.add_argument("--name", default="", help="What the token is for.")

    def handle(self, *args, username, read_only, expires_in, name, **options):
        if expires_in is not None and expires_in <= 0:
            raise CommandError(f"--expires-in must be a positive number of days, not {expires_in}.")
        limit = ApiToken._meta.get_field("name").max_length
        if len(name) > limit:
            raise CommandError(f"--name is too long (at most {limit} characters).")
        user = self.active_user(username)
        try:
            with transaction.atomic():
                token, key = ApiToken.issue(
                    user, name=name, read_only=read_only, expires_in_days=expires_in
                )
        except OverflowError:
            raise CommandError(
                f"--expires-in {expires_in} days is too far in the future."
            ) from None
        expiry = (
            f"expires {token.expires_at:%Y-%m-%d %H:%M %Z}" if token.expires_at else "never expires"
        )
        access = "read-only" if token.read_only else "read-write"
        self.stderr.write(
            f"Issued a {access} token {token.prefix}… for {user.get_username()} that {expiry}. "
            "Store the key now: it will not be shown again.",
            style_func=self.style.SUCCESS,
        )
        self.stdout.write(key)

    @staticmethod
    def active_user(username: str):
        User = get_user_model()
        try:
            user = User._default_manager.get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}; no token issued.") from None
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive; no token issued.")
        return user
