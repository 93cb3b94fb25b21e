"""Personal data of the Help Center: the user's support tickets and our answers (see ``apps/core/privacy.py``),
including those sent signed out from the account's email address."""

from typing import Any

from apps.core.privacy import PersonalData, personal_data_register

from .selectors import support_ticket_list_for_requester
from .services import support_tickets_anonymise_for_user


def _export(user: Any) -> list[dict[str, Any]]:
    return [
        {
            "name": ticket.name,
            "email": ticket.email,
            "subject": ticket.subject,
            "message": ticket.message,
            "status": ticket.status,
            "created_at": ticket.created_at,
            "replies": [{"body": reply.body, "created_at": reply.created_at} for reply in ticket.replies.all()],
        }
        for ticket in support_ticket_list_for_requester(user=user)
    ]


def _erase(user: Any) -> None:
    support_tickets_anonymise_for_user(user=user)


personal_data_register(
    PersonalData(
        key="pages.support_tickets",
        export=_export,
        erase=_erase,
        models=("pages.SupportTicket", "pages.SupportReply"),
    )
)
