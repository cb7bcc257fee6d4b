import pytest


@pytest.fixture
def eager_tasks():
    """Import tasks run in the test's own process and transaction (the browser test runs
    them on a real worker instead)."""
    from cooperation.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before
