"""Storage classes for tests on the real S3 server (``tests.support.s3``), named by ``STORAGES`` in a test.

settings.STORAGES = {**settings.STORAGES, "default": {
    "BACKEND": "tests.support.s3_storages.DeleteRefusingS3Storage",
    "OPTIONS": {**s3_server.storage_options(location=...), "refuse_delete": ["avatars/*/KEEP_*"]},
}}
"""

from fnmatch import fnmatch
from typing import Any

import boto3
from botocore.config import Config
from storages.backends.s3 import S3Storage
from storages.utils import clean_name


class DeleteRefusingS3Storage(S3Storage):
    """The R2 storage, except that deleting a name matching one of ``refuse_delete`` (shell patterns) is sent signed
    with a wrong secret, so the server itself refuses it (403), as R2 refuses a token without delete rights."""

    def __init__(self, *, refuse_delete: list[str] | tuple[str, ...] = (), **options: Any) -> None:
        self.refuse_delete = tuple(refuse_delete)
        super().__init__(**options)

    def delete(self, name: str) -> None:
        if any(fnmatch(name, pattern) for pattern in self.refuse_delete):
            client = boto3.client(
                "s3",
                endpoint_url=self.endpoint_url,
                aws_access_key_id=self.access_key,
                aws_secret_access_key=f"not-{self.secret_key}",
                region_name=self.region_name,
                config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
            )
            client.delete_object(Bucket=self.bucket_name, Key=self._normalize_name(clean_name(name)))
        super().delete(name)
