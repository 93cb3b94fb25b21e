"""One live reading per client and one reading in progress per reader, enforced by the database again.

On PostgreSQL, 0003's AlterField(db_index=False) on ``client`` and ``reader`` dropped every index on those
columns that is not in Meta.indexes, the partial unique indexes ``livesession_one_live_per_client`` and
``livesession_one_live_per_reader`` included, while the migration state kept them. This migration creates
them again (dropping first whatever a database may still have under those names, so it runs on any
database) and narrows the reader's to readings in progress: several clients' requests may wait for one
reader, who accepts one of them.

A database where someone is in two live readings at once cannot take the indexes: the migration stops and
names the readings. Waiting requests expire within a minute (the tick); end the others (they settle as
usual), then migrate again.
"""

from django.db import migrations, models

LIVE = ["active", "paused", "reconnecting", "waiting"]
ENGAGED = ["active", "paused", "reconnecting"]

CLIENT = models.UniqueConstraint(
    condition=models.Q(("state__in", LIVE)), fields=("client",), name="livesession_one_live_per_client"
)
READER = models.UniqueConstraint(
    condition=models.Q(("state__in", ENGAGED)), fields=("reader",), name="livesession_one_live_per_reader"
)
READER_BEFORE = models.UniqueConstraint(
    condition=models.Q(("state__in", LIVE)), fields=("reader",), name="livesession_one_live_per_reader"
)


def _replace(*constraints):
    def apply(apps, schema_editor):
        model = apps.get_model("livesessions", "ReadingSession")
        table = model._meta.db_table
        with schema_editor.connection.cursor() as cursor:
            existing = schema_editor.connection.introspection.get_constraints(cursor, table)
        for constraint in constraints:
            if constraint.name in existing:
                schema_editor.remove_constraint(model, constraint)
            schema_editor.add_constraint(model, constraint)

    return apply


def _refuse_duplicates(apps, schema_editor):
    reading = apps.get_model("livesessions", "ReadingSession")
    problems = []
    for column, states in (("client", LIVE), ("reader", ENGAGED)):
        live = reading.objects.filter(state__in=states)
        duplicated = live.values(column).annotate(count=models.Count("id")).filter(count__gt=1)
        for row in duplicated:
            ids = sorted(live.filter(**{column: row[column]}).values_list("id", flat=True))
            problems.append(f"{column} #{row[column]}: readings {ids}")
    if problems:
        raise RuntimeError(
            "These people are in more than one live reading at once, so the one-live-reading constraints "
            "cannot be created. End the extra readings (waiting requests expire within a minute), then "
            "migrate again: " + "; ".join(problems)
        )


class Migration(migrations.Migration):
    dependencies = [("livesessions", "0003_tick_hot_updates")]

    operations = [
        migrations.RunPython(_refuse_duplicates, migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(model_name="readingsession", name="livesession_one_live_per_reader"),
                migrations.AddConstraint(model_name="readingsession", constraint=READER),
            ],
            database_operations=[migrations.RunPython(_replace(CLIENT, READER), _replace(CLIENT, READER_BEFORE))],
        ),
        migrations.AlterField(
            model_name="readingsession",
            name="end_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("declined", "The reader declined"),
                    ("reader_busy", "The reader started another reading"),
                    ("insufficient_funds", "The wallet could not pay the first minute"),
                    ("request_timeout", "The reader did not answer in time"),
                    ("cancelled", "The client cancelled the request"),
                    ("client_ended", "The client ended the reading"),
                    ("reader_ended", "The reader ended the reading"),
                    ("low_balance_timeout", "Paused too long without funds"),
                    ("spending_cap", "The spending limit was reached"),
                    ("grace_exhausted", "The connection could not be restored in time"),
                    ("too_many_reconnects", "The connection dropped too often"),
                ],
                max_length=32,
            ),
        ),
    ]
