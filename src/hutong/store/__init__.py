"""Storage: the database engine, the tables, and Alembic migrations."""
