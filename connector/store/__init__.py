"""The connector's state store: models (``models``), repository functions (``links``, ``queues``,
``history``), engines (``db``) and the packaged Alembic migrations (``migrate``)."""
