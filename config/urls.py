from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from apps.accounts.admin_login import admin_login_through_allauth
from apps.core.headers import content_security_policy
from apps.core.storages import public_media_serve

# Django's admin has its own password-only login form; everyone signs in through allauth (rate limits, 2FA) instead.
admin.site.login = admin_login_through_allauth(admin.site.login)  # type: ignore[method-assign]

handler404 = "apps.pages.views.page_not_found"
handler500 = "apps.pages.views.server_error"

urlpatterns = [
    path("", include("apps.core.urls")),
    path("", include("apps.pages.urls")),
    path("accounts/", include("apps.accounts.urls")),
    path("accounts/", include("apps.privacy.urls")),
    path("accounts/", include("allauth.urls")),
    path("_allauth/", include("allauth.headless.urls")),
    path("dashboard/", include("apps.dashboards.urls")),
    path("dashboard/analytics/", include("apps.analytics.urls")),
    path("wallet/", include("apps.wallet.urls")),
    path("rtc/", include("apps.rtc.urls")),
    path("readers/", include("apps.readers.urls")),
    path("notifications/", include("apps.notifications.urls")),
    path("messages/", include("apps.messaging.urls")),
    path("readings/", include("apps.readings.urls")),
    path("bookings/", include("apps.scheduling.urls_manage")),
    path("bookings/", include("apps.scheduling.urls_join")),
    path("bookings/", include("apps.scheduling.urls")),
    path("moderation/", include("apps.moderation.urls")),
    path("live/", include("apps.live.urls")),
    path("shop/", include("apps.shop.urls")),
    path("community/", include("apps.community.urls")),
    path("payouts/", include("apps.payouts.urls")),
    path("staff/", include("config.staff_urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        content_security_policy("api_docs")(SpectacularRedocView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
]

if settings.SERVE_PUBLIC_MEDIA:
    # Reader photos on this machine's disk (`make run`, or no R2); on R2 their URLs point at the storage.
    urlpatterns.append(re_path(r"^" + settings.MEDIA_URL.lstrip("/") + r"public/(?P<path>.+)$", public_media_serve))
