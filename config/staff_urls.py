"""Admin-only pages, one include per app, all under /staff/.

Every view here is also wrapped in ``apps.core.permissions.staff_required``; the /staff/ prefix additionally
makes ``AdminMfaRequiredMiddleware`` demand TOTP before any of them opens.
"""

from django.urls import include, path

urlpatterns = [
    path("core/", include("apps.core.staff_urls")),
    path("accounts/", include("apps.accounts.staff_urls")),
    path("pages/", include("apps.pages.staff_urls")),
    path("dashboards/", include("apps.dashboards.staff_urls")),
    path("wallet/", include("apps.wallet.staff_urls")),
    path("rtc/", include("apps.rtc.staff_urls")),
    path("readers/", include("apps.readers.staff_urls")),
    path("notifications/", include("apps.notifications.staff_urls")),
    path("messaging/", include("apps.messaging.staff_urls")),
    path("readings/", include("apps.readings.staff_urls")),
    path("scheduling/", include("apps.scheduling.staff_urls")),
    path("moderation/", include("apps.moderation.staff_urls")),
    path("live/", include("apps.live.staff_urls")),
    path("shop/", include("apps.shop.staff_urls")),
    path("community/", include("apps.community.staff_urls")),
    path("payouts/", include("apps.payouts.staff_urls")),
    path("analytics/", include("apps.analytics.staff_urls")),
]
