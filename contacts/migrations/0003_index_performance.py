"""Indexes of the contacts index page (contacts/selectors.py).

Each sort of the index is `(its expressions…, id)` over the live contacts, and a page after a cursor
is a row comparison on the same tuple, so one index per sort on exactly those expressions serves
every page with a single range scan. The low-cardinality columns sort by `(column, created_at, id)`,
so their indexes also serve "filter on that column, newest first". The `*_pattern_ops` indexes serve
the search box's prefix matches (`LIKE 'term%'`) whatever the database's collation; the name ones
are on `UPPER(…)` because the search's `istartswith` compares upper-cased values.

None is partial, although every index query has `archived_at IS NULL`: PostgreSQL ignores the
statistics of partial expression indexes, and without them it misjudges how many contacts a name
prefix matches (by a factor of a hundred at a million contacts) and picks the wrong plan. They are
created by SQL, not `AddIndex`, so the model state is unchanged (no later migration drops them).
"""

from django.db import migrations

TABLE = "contacts_contact"
INDEXES = {
    "contact_ix_created": "(created_at, id)",
    "contact_ix_name": "(LOWER(first_name), LOWER(last_name), id)",
    "contact_ix_email_sort": "(COALESCE(email, ''), id)",
    "contact_ix_status": "(COALESCE(marketable_status, false), created_at, id)",
    "contact_ix_pending": "(marketable_until_renewal, created_at, id)",
    "contact_ix_reason": "(marketable_reason_type, created_at, id)",
    "contact_ix_lifecycle": "(lifecycle_stage, created_at, id)",
    "contact_ix_email_prefix": "(email varchar_pattern_ops)",
    "contact_ix_first_prefix": "(UPPER(first_name::text) text_pattern_ops)",
    "contact_ix_last_prefix": "(UPPER(last_name::text) text_pattern_ops)",
    "contact_ix_phone_prefix": "(phone varchar_pattern_ops)",
}


def create_indexes(apps, schema_editor):
    for name, columns in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {TABLE} {columns}")


def drop_indexes(apps, schema_editor):
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0002_lists_and_saved_views"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
