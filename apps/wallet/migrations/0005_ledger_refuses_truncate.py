from django.db import migrations

# PostgreSQL only. TRUNCATE skips row triggers, so the append-only rule of 0001 is repeated for it as a
# statement trigger. A connection that deliberately wipes the whole database (the test suite between
# tests) says so with the session setting soulseer.allow_ledger_truncate = on; nothing else sets it.
FORWARD = """
CREATE OR REPLACE FUNCTION wallet_ledger_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' AND current_setting('soulseer.allow_ledger_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '%% is append-only (%% refused); post a reversing transaction instead', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER wallet_transaction_no_truncate
    BEFORE TRUNCATE ON wallet_transaction
    FOR EACH STATEMENT EXECUTE FUNCTION wallet_ledger_append_only();
CREATE TRIGGER wallet_posting_no_truncate
    BEFORE TRUNCATE ON wallet_posting
    FOR EACH STATEMENT EXECUTE FUNCTION wallet_ledger_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS wallet_posting_no_truncate ON wallet_posting;
DROP TRIGGER IF EXISTS wallet_transaction_no_truncate ON wallet_transaction;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("wallet", "0004_stripe_event_order_refund_holds_freeze_sources")]

    operations = [migrations.RunPython(forward, backward)]
