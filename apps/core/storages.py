"""The public file storage on local disk, and how the app serves it when files are not on R2.

Public files (reader photos and their thumbnails) live under MEDIA_ROOT/public/ and are served at
PUBLIC_MEDIA_URL. Private files stay elsewhere under MEDIA_ROOT, which is never served from a URL path.
"""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.http import HttpRequest, HttpResponse
from django.utils.functional import cached_property
from django.views.decorators.http import require_GET
from django.views.static import serve


class PublicFileSystemStorage(FileSystemStorage):
    """MEDIA_ROOT/public/, at MEDIA_URL + "public/"; follows MEDIA_ROOT when it changes (tests)."""

    @cached_property
    def base_location(self) -> str:
        return os.path.join(self._value_or_setting(self._location, settings.MEDIA_ROOT), "public")

    @cached_property
    def base_url(self) -> str:
        return settings.MEDIA_URL + "public/"


@require_GET
def public_media_serve(request: HttpRequest, path: str) -> HttpResponse:
    """One public file from local disk (path traversal is refused by ``serve``); cached by browsers for a day."""
    response = serve(request, path, document_root=storages["public"].location)
    response["Cache-Control"] = "public, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response
