from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .files import file_link_open
from .models import FileDownloadOutcome
from .selectors import broker_status, database_status
from .services import client_ip


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    db_ok, db_detail = database_status()
    broker_ok, broker_detail = broker_status()
    ok = db_ok and broker_ok
    body = {"status": "ok" if ok else "error", "database": db_detail, "broker": broker_detail}
    return JsonResponse(body, status=200 if ok else 503)


FILE_LINK_INVALID = (
    "This download link is not valid for this account. Check that you are signed in as the person it was made "
    "for, or get a new link from the page where you found it."
)
FILE_LINK_EXPIRED = (
    "This download link has expired. Links last a limited time: get a fresh one from the page where you found "
    "this one (your order, your data export or the post)."
)
FILE_MISSING = "This file is no longer available. If you think it should be, please contact support."


@never_cache
@login_required
@require_GET
def file_download(request: HttpRequest, token: str) -> HttpResponse:
    """A private file for the user its link was made for (see ``apps.core.files``)."""
    opening = file_link_open(user=request.user, token=token, ip_address=client_ip(request))
    if opening.redirect_url:
        return HttpResponseRedirect(opening.redirect_url)
    if opening.local_path:
        assert opening.link is not None
        response = FileResponse(
            open(opening.local_path, "rb"),  # noqa: SIM115 - FileResponse closes it
            as_attachment=True,
            filename=opening.link.filename,
            content_type=opening.link.content_type,
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
    status, title, message = {
        FileDownloadOutcome.EXPIRED: (410, "This link has expired", FILE_LINK_EXPIRED),
        FileDownloadOutcome.MISSING: (404, "This file is no longer available", FILE_MISSING),
    }.get(opening.outcome, (404, "This link is not valid for this account", FILE_LINK_INVALID))  # type: ignore[call-overload]
    return render(request, "error.html", {"status": status, "title": title, "error": message}, status=status)
