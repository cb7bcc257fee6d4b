"""Fault tests: each starts the real services it needs (a PostgreSQL cluster of its own, a
Redis, Celery workers), breaks one on purpose, and checks what clients saw and what was
stored. Each test's docstring says what it kills and what it verifies."""
