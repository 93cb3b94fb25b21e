import factory

from apps.pages.models import HelpArticle, SupportTicket


class HelpArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HelpArticle

    title = factory.Sequence(lambda n: f"How the wallet works, part {n}")
    slug = factory.Sequence(lambda n: f"wallet-part-{n}")
    body = "Your wallet holds prepaid credit in US dollars.\n\nTop-ups are paid through Stripe Checkout."
    is_published = True


class SupportTicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupportTicket

    name = "Jordan Rivers"
    email = factory.Sequence(lambda n: f"asker{n}@example.com")
    subject = "A question about my booking"
    message = "I booked a reading for Friday and would like to move it to Saturday."


def ensure_initial_policies() -> None:
    """Create the policies of the data migration if missing.

    Tests that use transaction=True empty every table afterwards, data migrations included, so tests that
    need the published policies call this rather than rely on the migration having run in this database.
    """
    import importlib

    from django.apps import apps

    migration = importlib.import_module("apps.pages.migrations.0002_initial_policies")
    migration.create_policies(apps, None)
    importlib.import_module(
        "apps.pages.migrations.0003_privacy_policy_export_and_deletion"
    ).describe_export_and_deletion(apps, None)
