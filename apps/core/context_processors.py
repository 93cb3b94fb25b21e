from django.conf import settings
from django.http import HttpRequest

from .integrations import integrations_status
from .navigation import ACCOUNT_NAV, FOOTER_NAV, MAIN_NAV, nav_links


def site(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    # Dark unless the person chose otherwise: visitors' choice lives in their browser (static/js/theme-init.js).
    theme = getattr(user, "theme", "dark") if user is not None and user.is_authenticated else "dark"
    main_links = nav_links(MAIN_NAV, user=user, path=request.path)
    return {
        "SITE_NAME": settings.SITE_NAME,
        "BRAND_IMAGES": BRAND_IMAGES,
        "user_theme": theme,
        "integrations": integrations_status(),
        "main_nav": [link for link in main_links if link.group == "explore"],
        "your_nav": [link for link in main_links if link.group == "yours"],
        "account_nav": nav_links(ACCOUNT_NAV, user=user, path=request.path),
        "footer_nav": nav_links(FOOTER_NAV, user=user, path=request.path),
    }


# The seed's exact image URLs (SPEC §13). Pages fall back to a CSS gradient when they cannot load.
BRAND_IMAGES = {
    "background": "https://i.postimg.cc/sXdsKGTK/DALL-E-2025-.6-o6-14-56-29-A-vivid-ethereal-background-image-design-for-a-psychic-reading-app.webp",
    "hero": "https://i.postimg.cc/tRLSgCPb/HERO-IMAGE-1.jpg",
    "founder": "https://i.postimg.cc/s2ds9RtC/FOUNDER.jpg",
}
