"""The switch's one metadata and the CHECK constraints its tables share.

The `hutong.store.<area>_tables` modules define the tables on this metadata
(`hutong.store.tables` re-exports them all); migrations mirror them.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, MetaData

__all__ = ["known", "metadata", "not_negative", "positive"]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def known(column: str, values: tuple[str, ...]) -> CheckConstraint:
    """`column` holds one of `values` (or NULL, which every CHECK lets through)."""
    listed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(
        f"{column} IN ({listed})", name=f"{column}_known", info={"values": values, "column": column}
    )


def positive(column: str) -> CheckConstraint:
    return CheckConstraint(f"{column} > 0", name=f"{column}_positive")


def not_negative(column: str) -> CheckConstraint:
    return CheckConstraint(f"{column} >= 0", name=f"{column}_not_negative")
