"""Store each walker's number of passed recruitment stages, kept by triggers.

Matching filters thousands of walkers on "verified", and counting their
stages in every query cost PostgreSQL more than the rest of the filter.
The triggers recount a walker's passed stages whenever one of their stages
is inserted, updated or deleted, by any code path (the admin, bulk_create,
QuerySet.update, raw SQL). They also recount on every insert or update of
the profile row itself, so a WalkerProfile.save() from an instance loaded
before a stage changed cannot write back an old count.

PostgreSQL runs in tests and production, SQLite in the demo: each gets
triggers in its own dialect.
"""

from typing import Any

from django.db import migrations, models

COUNT_SQL = (
    "SELECT count(*) FROM walkers_walkerstage"
    " WHERE walker_id = {walker} AND outcome = 'passed'"
)

POSTGRESQL_CREATE = [
    f"""
    CREATE FUNCTION walkers_passed_stage_count(walker bigint) RETURNS bigint
    LANGUAGE sql STABLE AS $$ {COUNT_SQL.format(walker="walker")} $$
    """,
    """
    CREATE FUNCTION walkers_profile_recount() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.stages_passed := walkers_passed_stage_count(NEW.id);
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER walkers_profile_recount
    BEFORE INSERT OR UPDATE ON walkers_walkerprofile
    FOR EACH ROW EXECUTE FUNCTION walkers_profile_recount()
    """,
    # Touching the profile rows is enough: their own trigger sets the count.
    # The statement triggers update each walker once per statement, however
    # many of their stages it wrote, which keeps bulk_create cheap.
    """
    CREATE FUNCTION walkers_stage_recount() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            UPDATE walkers_walkerprofile SET stages_passed = 0
            WHERE id IN (SELECT walker_id FROM new_stages);
        ELSIF TG_OP = 'UPDATE' THEN
            UPDATE walkers_walkerprofile SET stages_passed = 0
            WHERE id IN (
                SELECT walker_id FROM old_stages
                UNION SELECT walker_id FROM new_stages
            );
        ELSE
            UPDATE walkers_walkerprofile SET stages_passed = 0
            WHERE id IN (SELECT walker_id FROM old_stages);
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER walkers_stage_insert_recount
    AFTER INSERT ON walkers_walkerstage REFERENCING NEW TABLE AS new_stages
    FOR EACH STATEMENT EXECUTE FUNCTION walkers_stage_recount()
    """,
    """
    CREATE TRIGGER walkers_stage_update_recount
    AFTER UPDATE ON walkers_walkerstage
    REFERENCING OLD TABLE AS old_stages NEW TABLE AS new_stages
    FOR EACH STATEMENT EXECUTE FUNCTION walkers_stage_recount()
    """,
    """
    CREATE TRIGGER walkers_stage_delete_recount
    AFTER DELETE ON walkers_walkerstage REFERENCING OLD TABLE AS old_stages
    FOR EACH STATEMENT EXECUTE FUNCTION walkers_stage_recount()
    """,
]

POSTGRESQL_DROP = [
    "DROP TRIGGER walkers_stage_insert_recount ON walkers_walkerstage",
    "DROP TRIGGER walkers_stage_update_recount ON walkers_walkerstage",
    "DROP TRIGGER walkers_stage_delete_recount ON walkers_walkerstage",
    "DROP FUNCTION walkers_stage_recount()",
    "DROP TRIGGER walkers_profile_recount ON walkers_walkerprofile",
    "DROP FUNCTION walkers_profile_recount()",
    "DROP FUNCTION walkers_passed_stage_count(bigint)",
]


def _sqlite_recount(walker: str) -> str:
    return (
        "UPDATE walkers_walkerprofile"
        f" SET stages_passed = ({COUNT_SQL.format(walker=walker)})"
        f" WHERE id = {walker};"
    )


# SQLite cannot change NEW in a BEFORE trigger, so each trigger updates the
# row after the write. Recursive triggers are off by default in SQLite, so
# the profile trigger's own UPDATE does not fire it again.
SQLITE_CREATE = [
    "CREATE TRIGGER walkers_stage_insert_recount AFTER INSERT ON"
    f" walkers_walkerstage BEGIN {_sqlite_recount('NEW.walker_id')} END",
    "CREATE TRIGGER walkers_stage_update_recount AFTER UPDATE ON"
    f" walkers_walkerstage BEGIN {_sqlite_recount('OLD.walker_id')}"
    f" {_sqlite_recount('NEW.walker_id')} END",
    "CREATE TRIGGER walkers_stage_delete_recount AFTER DELETE ON"
    f" walkers_walkerstage BEGIN {_sqlite_recount('OLD.walker_id')} END",
    "CREATE TRIGGER walkers_profile_insert_recount AFTER INSERT ON"
    f" walkers_walkerprofile BEGIN {_sqlite_recount('NEW.id')} END",
    "CREATE TRIGGER walkers_profile_update_recount AFTER UPDATE ON"
    f" walkers_walkerprofile BEGIN {_sqlite_recount('NEW.id')} END",
]

SQLITE_DROP = [
    f"DROP TRIGGER walkers_{table}_{event}_recount"
    for table, event in [
        ("stage", "insert"),
        ("stage", "update"),
        ("stage", "delete"),
        ("profile", "insert"),
        ("profile", "update"),
    ]
]

# Sets the count of the walkers that exist before the triggers do.
BACKFILL = (
    "UPDATE walkers_walkerprofile"
    f" SET stages_passed = ({COUNT_SQL.format(walker='walkers_walkerprofile.id')})"
)


def _statements(vendor: str, create: bool) -> list[str]:
    if vendor == "postgresql":
        return POSTGRESQL_CREATE if create else POSTGRESQL_DROP
    if vendor == "sqlite":
        return SQLITE_CREATE if create else SQLITE_DROP
    raise NotImplementedError(
        f"No stages_passed triggers for the {vendor} database: "
        "use PostgreSQL, or SQLite for the demo."
    )


def create_triggers(apps: Any, schema_editor: Any) -> None:
    for statement in _statements(schema_editor.connection.vendor, create=True):
        schema_editor.execute(statement)
    schema_editor.execute(BACKFILL)


def drop_triggers(apps: Any, schema_editor: Any) -> None:
    for statement in _statements(schema_editor.connection.vendor, create=False):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("walkers", "0002_recruitment_and_availability"),
    ]

    operations = [
        migrations.AddField(
            model_name="walkerprofile",
            name="stages_passed",
            field=models.PositiveSmallIntegerField(
                default=0, editable=False, verbose_name="recruitment stages passed"
            ),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
