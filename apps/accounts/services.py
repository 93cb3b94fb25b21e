"""Write services for accounts: roles, profile settings, reader applications."""

from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from apps.core.services import audit_log_record

from .enums import Role
from .models import User


@transaction.atomic(durable=True)
def admin_ensure(*, email: str, password: str) -> tuple[User, bool]:
    """Create the first admin with a verified email address, unless that user exists already."""
    from allauth.account.models import EmailAddress

    email = email.strip().lower()
    existing = User.objects.filter(email=email).first()
    if existing is not None:
        return existing, False
    validate_password(password)
    user = User.objects.create_superuser(email=email, password=password)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    audit_log_record(actor=None, action="accounts.admin_created", target=user, details={"source": "ensure_admin"})
    return user, True


def _apply_role(user: User, role: str) -> None:
    """Set role and the flags that follow from it. Caller holds the transaction and the user row lock."""
    user.role = role
    user.is_staff = role == Role.ADMIN
    user.save(update_fields=["role", "is_staff"])
