"""Print a session cookie value for the benchmark's signed-in client (created on first use), for wrk's -H."""

import os
import sys

import django


def main() -> int:
    sys.path.insert(0, os.path.dirname(__file__))
    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from apps.accounts.models import User

    user, _ = User.objects.get_or_create(email="bench-client@bench.invalid", defaults={"display_name": "Bench client"})
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    print(session.session_key)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
