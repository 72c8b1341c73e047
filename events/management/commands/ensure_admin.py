from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = "Create (or reset) a superuser with the given password and print its API token."

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
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(f"ADMIN_TOKEN={token.key}")
