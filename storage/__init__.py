"""The seedflow store: SQLAlchemy models, sessions, migrations and queries. Only this package talks SQL."""
