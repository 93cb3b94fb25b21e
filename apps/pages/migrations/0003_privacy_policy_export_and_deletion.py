"""The Privacy Policy describes the data export and account deletion as the site now offers them.

Each paragraph is replaced only while it still reads as first published, so an admin's own edit is never
overwritten; a change publishes a new version, as an edit in the admin does."""

from django.db import migrations

CHANGES = [
    (
        "Data export: on request we prepare a file in JSON format with your profile, readings, bookings, messages "
        "and transactions, and send you a link to download it. The link expires after a short time.",
        "Data export: from your account settings (Export your data) you can ask for a copy of your data at any "
        "time, up to three times a day. We prepare a ZIP file with a JSON file of your profile, readings (with "
        "their summaries and chat transcripts), bookings, messages, livestream activity, wallet transactions, "
        "support requests, notifications and the audit entries about your account, together with the files you "
        "uploaded, and tell you by email and in the app when it is ready. Each download link works for 24 hours "
        "and only while you are signed in to your account; you can get a new link from the export page until the "
        "file is deleted, 7 days after it was prepared.",
    ),
    (
        "Account deletion: on request we send a confirmation email to the address on your account. Once you "
        "confirm, we anonymise your personal information as described above.",
        "Account deletion: from your account settings (Delete your account) you ask with your password, and we "
        "send a confirmation link to the address on your account; it works for 24 hours. Once you confirm, your "
        "account is deleted after 14 days, and until then you can cancel by signing in. Deletion waits while a "
        "reading is in progress or being settled, a booked reading is upcoming, a refund or a payout is on its "
        "way, a payment dispute is open, or you are live or have sold tickets to a livestream not yet held; we "
        "tell you why. Readers must first be paid their remaining earnings (request a payout, or contact us if "
        "the amount is below the payout minimum). Money left in your wallet cannot be spent after deletion: "
        "spend it or ask for a refund first. When your account is deleted we remove your email address, names, "
        "photos, biography, notes, the text of your messages, chat lines and reviews, and your uploaded files; "
        "the ratings of your reviews, the records of money movements and the audit records stay, linked only to "
        "an anonymous account. You can no longer sign in.",
    ),
    (
        "To make a request, use the contact form in the Help Center from the email address on your account (or "
        "sign in first).",
        "For any other request, use the contact form in the Help Center from the email address on your account "
        "(or sign in first).",
    ),
]


def describe_export_and_deletion(apps, schema_editor):
    Policy = apps.get_model("pages", "Policy")
    policy = Policy.objects.filter(slug="privacy").first()
    if policy is None:
        return
    body = policy.body
    for old, new in CHANGES:
        body = body.replace(old, new)
    if body != policy.body:
        policy.body = body
        policy.version += 1
        policy.save(update_fields=["body", "version", "updated_at"])


class Migration(migrations.Migration):
    dependencies = [("pages", "0002_initial_policies")]

    operations = [migrations.RunPython(describe_export_and_deletion, migrations.RunPython.noop)]
