"""Browser tests: the portal served by a live server, driven in headless Chromium.

Fixtures for any browser test:

- ``portal`` — the live server's base URL; the database is transactional (the server runs in
  another thread) and rolled back to its migrated reference data after each test.
- ``page`` — a fresh browser tab (its own cookies) at laptop size; ``tablet`` for 820x1180.
- ``sign_in(page, user)`` — signs ``user`` in without the form (a session cookie), for tests
  about something else than signing in.
- ``screenshot(page, name)`` — a full-page PNG under ``test-artifacts/screenshots/``.
- ``axe_check(page)`` — runs axe-core on the page and fails on serious or critical
  violations.

Chromium is the system's (Debian's ``chromium``): Playwright's own browser builds are never
downloaded. Without it the tests skip with the reason, or fail under ``REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import os
import shutil
import threading
from importlib import import_module
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import connections

from tests.conftest import SCREENSHOTS
from tests.services import service_missing

LAPTOP = {"width": 1366, "height": 900}
TABLET = {"width": 820, "height": 1180}
BLOCKING_IMPACTS = ("serious", "critical")


def chromium_executable() -> str:
    """The system Chromium (``CHROMIUM`` overrides the path), or a skip saying it is missing."""
    candidates = [os.environ.get("CHROMIUM", ""), "/usr/bin/chromium", "chromium"]
    for candidate in filter(None, candidates):
        found = shutil.which(candidate)
        if found:
            return found
    service_missing("Chromium", "install Debian's chromium package (apt-get install chromium)")
    raise AssertionError("unreachable")


def thread_local(handler):
    """The per-thread storage of a Django connection handler, whatever the event loop."""
    storage = getattr(handler._connections, "_storage", None)  # asgiref's thread-critical Local
    if not isinstance(storage, threading.local):
        raise RuntimeError("asgiref's Local changed: revisit the browser tests' set-up.")
    return storage


@pytest.fixture(scope="module")
def browser():
    executable = chromium_executable()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        service_missing("Playwright", "install the dev extras (make install-dev)")
    # While Playwright's sync API is started, this thread looks as if it ran an event loop
    # (Playwright's, between its calls). Django would then refuse database calls from the
    # test (factories, personas, checks), and hand it a fresh connection per async context
    # instead of the test database's connection of this thread, losing the test's
    # transaction and its serialized reference data. The test's code is plain synchronous
    # code that never runs inside that loop, so for as long as the browser runs: database
    # calls are allowed, and connections are what they are in any synchronous thread,
    # thread-local. Module scope: it is all undone before a test of another module runs here.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        patch.setattr(connections, "_connections", thread_local(connections))
        with sync_playwright() as playwright:
            args = ["--no-sandbox"] if os.geteuid() == 0 else []
            browser = playwright.chromium.launch(executable_path=executable, args=args)
            yield browser
            browser.close()


@pytest.fixture
def portal(live_server, django_db_serialized_rollback) -> str:
    """Base URL of the portal served for this test."""
    return live_server.url


def new_page(browser, portal, viewport):
    context = browser.new_context(base_url=portal, viewport=viewport, locale="en-GB")
    context.set_default_timeout(10_000)
    return context, context.new_page()


def refused_by_the_csp(tab) -> list[str]:
    """Collects what the Content Security Policy refused on the tab: the portal has nothing
    it should refuse, so any is a failure."""
    refused: list[str] = []
    tab.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return refused


@pytest.fixture
def page(browser, portal):
    context, tab = new_page(browser, portal, LAPTOP)
    refused = refused_by_the_csp(tab)
    yield tab
    context.close()
    assert refused == [], f"refused by the CSP: {refused}"


@pytest.fixture
def tablet(browser, portal):
    context, tab = new_page(browser, portal, TABLET)
    refused = refused_by_the_csp(tab)
    yield tab
    context.close()
    assert refused == [], f"refused by the CSP: {refused}"


@pytest.fixture
def sign_in(portal):
    """``sign_in(page, user)``: the page's browser is signed in as ``user`` from now on."""

    def sign_in(page, user):
        session = import_module(settings.SESSION_ENGINE).SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        page.context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": portal}]
        )
        return page

    return sign_in


@pytest.fixture
def screenshot(request):
    """``screenshot(page, name)`` saves ``<test module>--<name>.png`` and returns its path."""

    def screenshot(page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{request.module.__name__.rsplit('.', 1)[-1]}--{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return screenshot


def blocking_violations(page) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS]


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['impact']}: {violation['id']} — {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {', '.join(map(str, node['target']))}: {node['failureSummary']}")
    return "\n".join(lines)


@pytest.fixture
def axe_check():
    """``axe_check(page)`` fails the test on any serious or critical axe-core violation."""

    def axe_check(page):
        violations = blocking_violations(page)
        if violations:
            pytest.fail(
                f"Accessibility violations on {page.url}:\n{describe(violations)}", pytrace=False
            )

    return axe_check
