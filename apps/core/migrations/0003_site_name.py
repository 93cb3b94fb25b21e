from urllib.parse import urlparse

from django.conf import settings
from django.db import migrations


def forward(apps, schema_editor):
    Site = apps.get_model("sites", "Site")
    domain = urlparse(settings.SITE_URL).netloc or "localhost:8000"
    Site.objects.using(schema_editor.connection.alias).update_or_create(pk=settings.SITE_ID, defaults={"domain": domain, "name": "SoulSeer"})


class Migration(migrations.Migration):
    dependencies = [("core", "0002_auditlog_append_only_trigger"), ("sites", "0002_alter_domain_unique")]
    operations = [migrations.RunPython(forward, migrations.RunPython.noop)]
