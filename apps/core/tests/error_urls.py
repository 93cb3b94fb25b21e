"""The site's URLs plus views that raise each domain error, for the error middleware's tests."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core import exceptions
from apps.core.errors import domain_errors_redirect
from apps.rtc.access import AccessRefused
from apps.wallet.exceptions import InsufficientFunds
from config.urls import handler404, handler500  # noqa: F401
from config.urls import urlpatterns as site_urlpatterns

ERRORS: dict[str, exceptions.DomainError] = {
    "invalid": exceptions.InvalidInputError("The amount must be positive."),
    "funds": InsufficientFunds("Your wallet does not hold enough for this."),
    "forbidden": exceptions.PermissionDeniedError("Only the host can do that."),
    "refused": AccessRefused("You cannot join this room."),
    "missing": exceptions.NotFound("That thing does not exist."),
    "hidden_room": AccessRefused("No such room.", not_found=True),
    "state": exceptions.InvalidStateError("The reading has already ended."),
    "limited": exceptions.RateLimitedError("Too many messages. Please wait a minute."),
    "unconfigured": exceptions.IntegrationNotConfigured("Voice and video need Agora to be configured."),
}


def raising(request: HttpRequest, kind: str) -> HttpResponse:
    raise ERRORS[kind]


@domain_errors_redirect("pages:contact")
def raising_from_form(request: HttpRequest, kind: str) -> HttpResponse:
    raise ERRORS[kind]


class RaisingApiView(APIView):
    def post(self, request: Request, kind: str) -> Response:
        raise ERRORS[kind]


urlpatterns = [
    path("errors-test/<str:kind>/", raising),
    path("errors-test/<str:kind>/form/", raising_from_form),
    path("api/v1/errors-test/<str:kind>/", raising),
    path("api/v1/errors-test/<str:kind>/drf/", RaisingApiView.as_view()),
    *site_urlpatterns,
]
