from django.db import migrations

# The audit log's append-only trigger covers UPDATE and DELETE row by row; TRUNCATE skips row triggers, so
# a statement-level trigger refuses it too. The function is shared by every append-only table. Only a
# connection that deliberately sets `soulseer.allow_truncate = on` may truncate (the test suite does, to
# empty its throwaway database between tests); production never sets it.
FORWARD = """
CREATE OR REPLACE FUNCTION soulseer_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('soulseer.allow_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '%% is append-only (TRUNCATE refused)', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_auditlog_no_truncate
    BEFORE TRUNCATE ON core_auditlog
    FOR EACH STATEMENT EXECUTE FUNCTION soulseer_refuse_truncate();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS core_auditlog_no_truncate ON core_auditlog;
DROP FUNCTION IF EXISTS soulseer_refuse_truncate();
"""


def forward(apps, schema_editor):
    schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("core", "0004_outbox")]
    operations = [migrations.RunPython(forward, backward)]
