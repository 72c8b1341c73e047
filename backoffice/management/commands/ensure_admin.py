from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from accounts.services import create_staff_token


class Command(BaseCommand):
    help = ("Create (or reset) a superuser with the given password; print an API token the first "
            "time (only its hash is stored, so it cannot be shown again: drf_create_token -r replaces it).")

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("password")

    def handle(self, *args, username, password, **options):
        User = get_user_model()
        user, _ = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.com"})
        user.is_staff = user.is_superuser = True
        # Only when it differs: a new hash (new salt) would end every session of this user, so each
        # `make run` restart logged the open dashboards out (WebSocket 403, issue 13 item 17).
        if not user.check_password(password):
            user.set_password(password)
        user.save()
        if user.staff_tokens.exists():
            self.stdout.write(f"ADMIN_TOKEN unchanged (manage.py drf_create_token -r {username} replaces it)")
        else:
            self.stdout.write(f"ADMIN_TOKEN={create_staff_token(user=user).token}")
