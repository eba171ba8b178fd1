from typing import Any

from django.contrib.postgres.constraints import ExclusionConstraint
from django.db import DEFAULT_DB_ALIAS, connections


class PostgresExclusionConstraint(ExclusionConstraint):
    """An exclusion constraint that exists on PostgreSQL and is skipped elsewhere.

    The one-command demo runs on SQLite, which has no exclusion constraints.
    There the booking services check overlaps inside their transaction, and
    SQLite's single writer keeps that check sound. PostgreSQL, used in tests
    and production, enforces the rule itself.
    """

    def _is_postgres(self, schema_editor: Any) -> bool:
        return bool(schema_editor.connection.vendor == "postgresql")

    def constraint_sql(self, model: Any, schema_editor: Any) -> Any:
        if not self._is_postgres(schema_editor):
            return None
        return super().constraint_sql(model, schema_editor)

    def create_sql(self, model: Any, schema_editor: Any) -> Any:
        if not self._is_postgres(schema_editor):
            return None
        return super().create_sql(model, schema_editor)

    def remove_sql(self, model: Any, schema_editor: Any) -> Any:
        if not self._is_postgres(schema_editor):
            return None
        return super().remove_sql(model, schema_editor)

    def validate(
        self,
        model: Any,
        instance: Any,
        exclude: Any = None,
        using: str = DEFAULT_DB_ALIAS,
    ) -> None:
        if connections[using].vendor != "postgresql":
            return
        super().validate(model, instance, exclude=exclude, using=using)
