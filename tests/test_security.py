"""Production configuration: `check --deploy` clean, security headers on every page, no
inline script or style for the CSP to refuse, private responses never cached, sign-in
lock-out, and the health probes."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.test import APIClient

from cooperation.models import ApiToken
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db


def test_check_deploy_is_clean_with_production_settings():
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "portal.example.org",
        "DATABASE_URL": os.environ.get("DATABASE_URL") or "postgres://u@127.0.0.1:5432/none",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout + result.stderr


class Inline(HTMLParser):
    """Collects what a strict CSP refuses: inline scripts, event-handler and style
    attributes, style elements."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name in attributes:
            if name.startswith("on") or name == "style":
                self.found.append(f"<{tag} {name}=…>")
        if tag == "style":
            self.found.append("<style>")
        if tag == "script" and "src" not in attributes:
            kind = attributes.get("type", "")
            if kind not in ("application/json", "application/ld+json"):
                self.found.append("<script> without src")


@pytest.fixture
def officer_client(client, cast):
    client.force_login(cast.officer)
    return client


def pages(cast) -> list[str]:
    operation = factories.JointOperationFactory(sensitivity="public", participants=[cast.colombia])
    agreement = factories.AgreementFactory(sensitivity="public", parties=[cast.colombia])
    return [
        "/", "/agreements/", f"/agreements/{agreement.pk}/", "/operations/",
        f"/operations/{operation.pk}/", "/operations/new/", "/partners/",
        f"/partners/{cast.colombia.pk}/", "/countries/", "/countries/COL/", "/summaries/",
        "/search/?q=navy", "/imports/", "/api/v1/docs/", "/api/v1/operations/",
        "/accounts/password_change/",
    ]  # fmt: skip


def test_every_page_carries_the_security_headers_and_nothing_the_csp_refuses(officer_client, cast):
    for url in pages(cast):
        response = officer_client.get(url)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, url
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        if response["Content-Type"].startswith("text/html"):
            parser = Inline()
            parser.feed(response.content.decode())
            assert parser.found == [], f"{url}: {parser.found}"


def test_the_login_page_has_nothing_inline_either(client):
    parser = Inline()
    parser.feed(client.get("/accounts/login/").content.decode())
    assert parser.found == []


def cache_headers(response) -> tuple[set, set]:
    control = {p.strip() for p in response.get("Cache-Control", "").split(",") if p.strip()}
    vary = {p.strip().lower() for p in response.get("Vary", "").split(",") if p.strip()}
    return control, vary


def test_responses_to_a_signed_in_reader_or_a_token_are_never_stored(officer_client, cast):
    for url in ("/", "/operations/", "/api/v1/operations/", "/api/v1/operations/?format=csv"):
        control, vary = cache_headers(officer_client.get(url))
        assert {"private", "no-store"} <= control, url
        assert {"authorization", "cookie"} <= vary, url
    _, key = ApiToken.issue(cast.analyst)
    token = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
    control, vary = cache_headers(token.get("/api/v1/agreements/"))
    assert {"private", "no-store"} <= control and "authorization" in vary


def test_an_anonymous_public_page_may_be_cached_by_the_browser(client):
    control, _ = cache_headers(client.get("/agreements/"))
    assert "no-store" not in control


def test_sign_in_is_locked_after_five_failures_and_a_success_resets_the_count(client, cast):
    user = factories.UserFactory(username="sleepy", password="correct horse battery staple")
    for _ in range(4):
        response = client.post("/accounts/login/", {"username": "sleepy", "password": "wrong"})
        assert response.status_code == 200 and "Please enter a correct" in response.text
    good = client.post(
        "/accounts/login/", {"username": "sleepy", "password": "correct horse battery staple"}
    )
    assert good.status_code == 302  # four failures: still allowed; and the count restarts
    client.logout()
    for _ in range(5):
        client.post("/accounts/login/", {"username": "sleepy", "password": "wrong"})
    locked = client.post(
        "/accounts/login/", {"username": "sleepy", "password": "correct horse battery staple"}
    )
    assert locked.status_code == 429
    assert "Sign-in paused" in locked.text
    assert "_auth_user_id" not in client.session
    # Another name from the same address is not locked out.
    other = factories.UserFactory(username="awake", password="another long passphrase")
    response = client.post(
        "/accounts/login/", {"username": "awake", "password": "another long passphrase"}
    )
    assert response.status_code == 302
    assert user.pk != other.pk


def test_the_probes(client, settings):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    down = client.get("/readyz")
    assert down.status_code == 503
    assert down.json()["checks"] == {"database": "ok", "broker": "unavailable"}
    assert "no-store" in down["Cache-Control"]
    assert re.search(r"max-age=0", down["Cache-Control"])
    assert connection.is_usable()
