"""Operators: build a token by hand and show what it grants.

    python manage.py agora_token --channel NAME --uid UID --role publisher|subscriber --ttl SECONDS [--rtm-user ID]

The first line of output is the token; the decoded services, privileges and expiry follow.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.integrations import agora_enabled
from apps.rtc import tokens


class Command(BaseCommand):
    help = "Print an Agora AccessToken2 for a channel and uid, followed by its decoded contents."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--channel", required=True, help="Channel name.")
        parser.add_argument("--uid", required=True, help="Numeric uid (0 = any user) or a string account.")
        parser.add_argument("--role", required=True, choices=["publisher", "subscriber"])
        parser.add_argument(
            "--ttl", type=int, default=None, help="Lifetime in seconds (default: AGORA_TOKEN_TTL_SECONDS)."
        )
        parser.add_argument("--rtm-user", default=None, help="Also grant RTM login for this user id.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not agora_enabled():
            raise CommandError("Agora is not configured: set AGORA_APP_ID and AGORA_APP_CERTIFICATE.")
        ttl = options["ttl"] if options["ttl"] is not None else settings.AGORA_TOKEN_TTL_SECONDS
        if ttl <= 0:
            raise CommandError("--ttl must be a positive number of seconds.")
        uid_text = options["uid"]
        uid: int | str = int(uid_text) if uid_text.isdigit() else uid_text
        publisher = options["role"] == "publisher"
        try:
            services = [
                tokens.rtc_service(
                    channel_name=options["channel"],
                    uid=uid,
                    privilege_expire=ttl,
                    publish_audio=publisher,
                    publish_video=publisher,
                )
            ]
            if options["rtm_user"]:
                services.append(tokens.rtm_service(user_id=options["rtm_user"], privilege_expire=ttl))
            token = tokens.build_token(
                app_id=settings.AGORA_APP_ID,
                app_certificate=settings.AGORA_APP_CERTIFICATE,
                services=services,
                expire=ttl,
            )
            parsed = tokens.verify_token(token, settings.AGORA_APP_CERTIFICATE)
        except tokens.TokenError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(token)
        for line in tokens.describe_token(parsed):
            self.stdout.write(line)
