from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .selectors import broker_status, database_status


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    db_ok, db_detail = database_status()
    broker_ok, broker_detail = broker_status()
    ok = db_ok and broker_ok
    body = {"status": "ok" if ok else "error", "database": db_detail, "broker": broker_detail}
    return JsonResponse(body, status=200 if ok else 503)
