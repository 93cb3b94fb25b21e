import os

from django.core.management.base import BaseCommand

from apps.accounts.enums import Role
from apps.accounts.models import User
from apps.accounts.services import admin_ensure


class Command(BaseCommand):
    help = "Create the first admin from SOULSEER_ADMIN_EMAIL / SOULSEER_ADMIN_PASSWORD, or say how to."

    def handle(self, *args, **options) -> None:
        email = os.environ.get("SOULSEER_ADMIN_EMAIL", "").strip()
        password = os.environ.get("SOULSEER_ADMIN_PASSWORD", "")
        if not email or not password:
            if User.objects.filter(role=Role.ADMIN, is_active=True).exists():
                self.stdout.write("An admin account already exists; sign in at /accounts/login/.")
                return
            self.stdout.write(
                "No admin created. To create the first admin, run with SOULSEER_ADMIN_EMAIL and "
                "SOULSEER_ADMIN_PASSWORD set (e.g. SOULSEER_ADMIN_EMAIL=you@example.com "
                "SOULSEER_ADMIN_PASSWORD='a long passphrase' make run), or use `manage.py createsuperuser`."
            )
            return
        user, created = admin_ensure(email=email, password=password)
        if created:
            self.stdout.write(self.style.SUCCESS(f"Created admin {user.email}. Sign in and set up two-factor auth."))
        else:
            self.stdout.write(f"Admin {user.email} already exists; nothing changed.")
