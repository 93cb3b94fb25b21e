from django.db import migrations

# TRUNCATE skips the row triggers of 0001, so the ledger's append-only rule is repeated for
# it as a statement trigger, with the function every append-only table shares (core migration 0005): only a
# connection that deliberately sets soulseer.allow_truncate = on (the test suite's throwaway database) may.
FORWARD = """
CREATE TRIGGER wallet_transaction_no_truncate
    BEFORE TRUNCATE ON wallet_transaction
    FOR EACH STATEMENT EXECUTE FUNCTION soulseer_refuse_truncate();
CREATE TRIGGER wallet_posting_no_truncate
    BEFORE TRUNCATE ON wallet_posting
    FOR EACH STATEMENT EXECUTE FUNCTION soulseer_refuse_truncate();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS wallet_posting_no_truncate ON wallet_posting;
DROP TRIGGER IF EXISTS wallet_transaction_no_truncate ON wallet_transaction;
"""


def forward(apps, schema_editor):
    schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [
        ("wallet", "0004_stripe_event_order_refund_holds_freeze_sources"),
        ("core", "0005_auditlog_refuses_truncate"),
    ]

    operations = [migrations.RunPython(forward, backward)]
