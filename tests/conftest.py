"""The fixed cast of personas, set up once per test that asks for them."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser

from cooperation.models import Partner
from cooperation.visibility import ADMINISTRATOR_GROUP, ANALYST_GROUP, OFFICER_GROUP
from tests import factories

# Where browser tests save their screenshots (git ignores test-artifacts/).
SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "screenshots"
STARTED = time.time()


def pytest_terminal_summary(terminalreporter):
    """Say how many cases the permission matrix checked (when it ran in this process), and
    where this run's screenshots are (the browser tests take them)."""
    matrix = sys.modules.get("tests.test_permission_matrix")
    if matrix is not None and matrix.CASES["count"]:
        terminalreporter.write_sep("-", "permission matrix")
        terminalreporter.write_line(f"{matrix.CASES['count']} cases checked")
    if not SCREENSHOTS.is_dir():
        return
    taken = [path for path in SCREENSHOTS.glob("*.png") if path.stat().st_mtime >= STARTED]
    if taken:
        terminalreporter.write_sep("-", "screenshots")
        terminalreporter.write_line(f"{len(taken)} browser screenshots in {SCREENSHOTS}")


@pytest.fixture(autouse=True, scope="session")
def history_may_be_emptied_between_tests():
    """Transactional tests empty every table after each test (``flush``: TRUNCATE). The
    history's tables refuse TRUNCATE (``cooperation.history``); only this test-only flush is
    let through, naming each guard it passes."""
    import pgtrigger
    from django.apps import apps
    from django.core.management.commands import flush

    guards = [
        f"{model._meta.label}:no_truncate"
        for model in apps.get_models()
        if getattr(model, "pgh_tracked_model", None) is not None
    ]
    handle = flush.Command.handle

    def handle_past_guards(self, **options):
        with pgtrigger.ignore(*guards):
            return handle(self, **options)

    flush.Command.handle = handle_past_guards
    yield
    flush.Command.handle = handle


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Hashing is not under test: the fastest hasher keeps persona set-up cheap."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    """Throttle counters live in the cache: each test starts with none, and rates no test
    reaches unless it sets its own (the throttling tests do)."""
    from django.core.cache import cache

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "100000/min", "anon": "100000/min"},
    }
    cache.clear()
    yield
    cache.clear()


@dataclass
class Cast:
    colombia: Partner
    colombian_navy: Partner
    peru: Partner
    analyst: object
    officer: object  # officer of Colombia's government
    outsider: object  # officer of a partner that takes part in nothing
    administrator: object
    anonymous: AnonymousUser


@pytest.fixture
def cast(db) -> Cast:
    colombia = factories.GovernmentFactory(
        country=factories.country("COL"), name="Government of Colombia"
    )
    peru = factories.GovernmentFactory(country=factories.country("PER"), name="Government of Peru")
    return Cast(
        colombia=colombia,
        colombian_navy=factories.AgencyFactory(
            parent=colombia, name="Colombian Navy", agency_type=Partner.AgencyType.NAVY_COAST_GUARD
        ),
        peru=peru,
        analyst=factories.UserFactory(username="analyst", groups=[ANALYST_GROUP]),
        officer=factories.UserFactory(
            username="officer", groups=[OFFICER_GROUP], partners=[colombia]
        ),
        outsider=factories.UserFactory(
            username="partner-officer", groups=[OFFICER_GROUP], partners=[peru]
        ),
        administrator=factories.UserFactory(
            username="administrator", groups=[ADMINISTRATOR_GROUP], is_staff=True
        ),
        anonymous=AnonymousUser(),
    )
