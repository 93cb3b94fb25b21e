"""Digital delivery: a fresh link to a digital item's file, bound to the buyer, valid ``SHOP_DOWNLOAD_LINK_TTL``.

The file is in the private storage (R2 in production, this machine's disk otherwise; ``STORAGES["default"]``) under
the product's ``file_key``. Links and downloads are ``apps.core.files``'s: every issued link is a ``FileLink`` row
(purpose ``shop.download``), every attempt to open one a ``FileDownload`` row; someone else's link answers 404, an
expired one 410.
"""

from __future__ import annotations

import mimetypes
from datetime import datetime
from typing import Any

from django.conf import settings

from apps.core.files import file_link_issue

from ..selectors import order_downloadable_item_get

PURPOSE = "shop.download"


def download_link_issue(*, viewer: Any, order_id: int, item_id: int) -> tuple[str, datetime]:
    """A fresh link to a digital item of one of the viewer's paid orders: (url, expires_at). NotFound otherwise."""
    _order, item = order_downloadable_item_get(viewer=viewer, order_id=order_id, item_id=item_id)
    key = item.product.file_key
    extension = key.rsplit(".", 1)[-1] if "." in key.rsplit("/", 1)[-1] else ""
    filename = f"{item.name}.{extension}" if extension else item.name
    content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
    link, url = file_link_issue(
        user=viewer,
        storage_key=key,
        filename=filename,
        purpose=PURPOSE,
        content_type=content_type,
        ttl=settings.SHOP_DOWNLOAD_LINK_TTL,
    )
    return url, link.expires_at
