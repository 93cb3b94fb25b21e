"""The migrated database has exactly the indexes and constraints our models declare.

A migration can drop an index or a constraint without saying so: ``AlterField(db_index=False)`` on a foreign
key drops every index on that column that is not in ``Meta.indexes`` -- partial unique constraints included
(that is how the "one live reading per person" constraints were once lost). Django's migration state still
lists them, so ``makemigrations --check`` sees nothing.

This test builds the schema the models declare today from scratch -- ``schema_editor.create_model`` for every
model of our apps, in a scratch PostgreSQL schema -- and compares it with the tables ``migrate`` built in the
test database, as PostgreSQL itself prints them (``pg_get_indexdef``, ``pg_get_constraintdef``, column types
and nullability). Names declared in ``Meta.indexes`` / ``Meta.constraints`` must match too; names Django makes
up (foreign keys, ``db_index``, ``unique``, ``unique_together``) are compared by definition only, as a
renamed table or field keeps its old generated names.
"""

import re
from collections import Counter

import pytest
from django.apps import apps
from django.db import connection

pytestmark = pytest.mark.django_db

SCRATCH_SCHEMA = "schema_matches_models"

# Indexes and constraints that migrations create on purpose with SQL the models cannot declare:
# (table, name) -> why. Keep this short; everything else must be declared on the model.
CREATED_BY_MIGRATION_SQL: dict[tuple[str, str], str] = {
    ("readers_readerprofile", "reader_search_vector_gin"): "readers 0002: full-text search, made by RunPython",
}

INDEXES_SQL = """
SELECT c.relname, i.relname, pg_get_indexdef(i.oid)
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class c ON c.oid = x.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relname = ANY(%s)
"""

CONSTRAINTS_SQL = """
SELECT c.relname, k.conname, k.contype, pg_get_constraintdef(k.oid)
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relname = ANY(%s) AND k.contype <> 't'
"""

COLUMNS_SQL = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
FROM pg_attribute a
JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relname = ANY(%s) AND a.attnum > 0 AND NOT a.attisdropped
"""


def _our_models() -> list:
    """Every concrete, managed model of the project's own apps (``apps.*``); auto-created M2M tables come
    with their model (``create_model`` makes them)."""
    return [
        model
        for model in apps.get_models()
        if model.__module__.startswith("apps.") and model._meta.managed and not model._meta.proxy
    ]


def _declared_names(models: list) -> set[tuple[str, str]]:
    return {
        (model._meta.db_table, item.name)
        for model in models
        for item in [*model._meta.indexes, *model._meta.constraints]
    }


def _normalise(definition: str, schema: str) -> str:
    return re.sub(rf'\b(?:{re.escape(schema)}|public)\.|"{re.escape(schema)}"\.', "", definition)


def _schema_items(schema: str, tables: list[str], declared: set[tuple[str, str]]) -> dict[str, Counter]:
    """What PostgreSQL has for ``tables`` in ``schema``: table -> a multiset of readable items."""
    items: dict[str, Counter] = {table: Counter() for table in tables}
    with connection.cursor() as cursor:
        cursor.execute(INDEXES_SQL, [schema, tables])
        for table, name, definition in cursor.fetchall():
            if (table, name) in CREATED_BY_MIGRATION_SQL:
                continue
            shown = name if (table, name) in declared else "<generated>"
            definition = _normalise(definition, schema).replace(f"INDEX {name} ON", "INDEX ON")
            items[table][f"index {shown}: {definition}"] += 1
        cursor.execute(CONSTRAINTS_SQL, [schema, tables])
        for table, name, kind, definition in cursor.fetchall():
            shown = name if (table, name) in declared else "<generated>"
            items[table][f"constraint {shown} ({kind}): {_normalise(definition, schema)}"] += 1
        cursor.execute(COLUMNS_SQL, [schema, tables])
        for table, column, column_type, not_null in cursor.fetchall():
            items[table][f"column {column} {column_type}{' NOT NULL' if not_null else ''}"] += 1
    return items


def test_migrated_schema_has_every_index_and_constraint_the_models_declare():
    # given the tables `migrate` built, and the same models created from scratch in a scratch schema
    models = _our_models()
    declared = _declared_names(models)
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{SCRATCH_SCHEMA}"')
        # New tables go to the scratch schema; foreign keys to tables not made here resolve to public's.
        cursor.execute(f'SET LOCAL search_path TO "{SCRATCH_SCHEMA}", public')
    with connection.schema_editor(atomic=True) as editor:
        for model in models:
            editor.create_model(model)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL search_path TO public")
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind = 'r' ORDER BY 1",
            [SCRATCH_SCHEMA],
        )
        tables = [row[0] for row in cursor.fetchall()]
    assert len(tables) >= len(models)

    # when both are read back from PostgreSQL's catalogue
    expected = _schema_items(SCRATCH_SCHEMA, tables, declared)
    actual = _schema_items("public", tables, declared)

    # then they are the same, table by table
    problems = []
    for table in tables:
        missing = expected[table] - actual[table]
        extra = actual[table] - expected[table]
        problems += [f"{table}: missing after migrate: {item}" for item in sorted(missing)]
        problems += [f"{table}: not declared by the model: {item}" for item in sorted(extra)]
    assert not problems, "The migrated schema differs from the models:\n" + "\n".join(problems)


def test_migrated_schema_has_the_indexes_made_by_migration_sql():
    # given the indexes migrations make with SQL, which the first test leaves out
    tables = sorted({table for table, _ in CREATED_BY_MIGRATION_SQL})
    # when
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexname FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY(%s)", [tables]
        )
        present = set(cursor.fetchall())
    # then
    assert set(CREATED_BY_MIGRATION_SQL) <= present
