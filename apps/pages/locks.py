"""Row locks for this app. Callers must hold a transaction."""

from .models import Policy, SupportTicket


def policy_lock(*, policy_id: int) -> Policy:
    return Policy.objects.select_for_update(of=("self",)).order_by("pk").get(pk=policy_id)


def support_ticket_lock(*, ticket_id: int) -> SupportTicket:
    return SupportTicket.objects.select_for_update(of=("self",)).order_by("pk").get(pk=ticket_id)
