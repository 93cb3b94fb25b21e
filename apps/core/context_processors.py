from django.conf import settings
from django.http import HttpRequest

from .integrations import integrations_status
from .navigation import FOOTER_NAV, MAIN_NAV, nav_links


def site(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    theme = getattr(user, "theme", "system") if user is not None and user.is_authenticated else "system"
    return {
        "SITE_NAME": settings.SITE_NAME,
        "BRAND_IMAGES": BRAND_IMAGES,
        "user_theme": theme,
        "integrations": integrations_status(),
        "main_nav": nav_links(MAIN_NAV, user=user, path=request.path),
        "footer_nav": nav_links(FOOTER_NAV, user=user, path=request.path),
    }


# The seed's exact image URLs (SPEC §13). Pages fall back to a CSS gradient when they cannot load.
BRAND_IMAGES = {
    "background": "https://i.postimg.cc/sXdsKGTK/DALL-E-2025-.6-o6-14-56-29-A-vivid-ethereal-background-image-design-for-a-psychic-reading-app.webp",
    "hero": "https://i.postimg.cc/tRLSgCPb/HERO-IMAGE-1.jpg",
    "founder": "https://i.postimg.cc/s2ds9RtC/FOUNDER.jpg",
}
