import io
import json
import zipfile
from typing import Any

from django.core.files.storage import storages

from apps.privacy.constants import EXPORT_STORAGE
from apps.privacy.models import DataExport


def export_zip(export: DataExport) -> zipfile.ZipFile:
    with storages[EXPORT_STORAGE].open(export.storage_key, "rb") as handle:
        return zipfile.ZipFile(io.BytesIO(handle.read()))


def export_data(export: DataExport) -> dict[str, Any]:
    return json.loads(export_zip(export).read("data.json"))


def zip_text(archive: zipfile.ZipFile) -> str:
    """Every member's name and bytes, as text: what a marker search runs over."""
    return "\n".join(name + "\n" + archive.read(name).decode("latin-1") for name in archive.namelist())
