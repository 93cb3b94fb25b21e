"""Onboarding steps: what a new client or reader still has to do, as a checklist on their dashboard.

Each app registers the steps it owns from its ``dashboard.py`` (imported at start-up, like the sections):
``onboarding_step_register(role="reader", step=OnboardingStep(...), order=...)``. A step says how to tell
it is done (``is_done(user) -> bool``, reading through the app's selectors) and where to do it (a URL name).
The checklist hides itself once every step is done. A step whose URL name does not resolve fails the system
check ``dashboards.E002`` at start-up. Payouts (Stripe Connect) add their own step when they ship.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse

from .sections import ROLES


@dataclass(frozen=True)
class OnboardingStep:
    key: str
    label: str
    url_name: str
    is_done: Callable[[Any], bool]


@dataclass(frozen=True)
class OnboardingItem:
    """One step resolved for one user."""

    key: str
    label: str
    url: str
    is_done: bool


_STEPS: dict[str, dict[str, tuple[int, OnboardingStep]]] = {role: {} for role in ROLES}


def onboarding_step_register(*, role: str, step: OnboardingStep, order: int) -> OnboardingStep:
    if role not in ROLES:
        raise ImproperlyConfigured(f"Onboarding step {step.key!r}: unknown role {role!r} (one of {ROLES}).")
    if not callable(step.is_done):
        raise ImproperlyConfigured(f"Onboarding step {step.key!r}: is_done must be a function of the user.")
    existing = _STEPS[role].get(step.key)
    if existing is not None and existing[1] != step:
        raise ImproperlyConfigured(f"Two onboarding steps of the {role} dashboard use the key {step.key!r}.")
    _STEPS[role][step.key] = (order, step)
    return step


def onboarding_steps(role: str) -> list[OnboardingStep]:
    return [step for _order, step in sorted(_STEPS[role].values(), key=lambda entry: (entry[0], entry[1].key))]


def onboarding_checklist(*, user: Any, role: str) -> list[OnboardingItem]:
    """The steps of ``role`` for ``user``, each marked done or not (empty when there are none)."""
    return [
        OnboardingItem(key=step.key, label=step.label, url=reverse(step.url_name), is_done=bool(step.is_done(user)))
        for step in onboarding_steps(role)
    ]


def onboarding_problems() -> list[str]:
    problems = []
    for role in ROLES:
        for step in onboarding_steps(role):
            try:
                reverse(step.url_name)
            except NoReverseMatch:
                problems.append(f"{role} onboarding step {step.key!r}: URL name {step.url_name!r} does not resolve")
    return problems
