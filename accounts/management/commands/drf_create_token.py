"""`manage.py drf_create_token <username>`: same name and arguments as DRF's command, but the
token is printed once and only its hash is stored (docs/adr/0019)."""
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.services import create_staff_token


class Command(BaseCommand):
    help = "Create an API token for a user and print it once (only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("username", type=str)
        parser.add_argument("-r", "--reset", action="store_true", dest="reset_token", default=False,
                            help="Revoke the user's other tokens")

    def handle(self, *args, username, reset_token, **options):
        user = get_user_model()._default_manager.filter(**{get_user_model().USERNAME_FIELD: username}).first()
        if user is None:
            raise CommandError(f"Cannot create the Token: user {username} does not exist")
        issued = create_staff_token(user=user, replace=reset_token)
        self.stdout.write(f"Generated token {issued.token} for user {username}")
        self.stderr.write("Store it now: it is not shown again (only its SHA-256 is kept).")
