"""Signing in and out, changing one's password, the navigation each role sees, and the
portal's own error pages."""

from __future__ import annotations

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def test_signing_in_with_the_right_password_leads_to_the_page_asked_for(client, cast):
    page = client.get("/accounts/login/?next=/agreements/")
    assert page.status_code == 200
    assert '<label for="id_username">Username' in page.text
    response = client.post(
        "/accounts/login/",
        {"username": "officer", "password": "correct horse battery staple", "next": "/agreements/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/agreements/"
    assert "officer" in client.get("/").text


def test_a_wrong_password_is_refused_with_a_message_and_the_username_kept(client, cast):
    page = client.post("/accounts/login/", {"username": "officer", "password": "wrong"})
    assert page.status_code == 200
    assert 'role="alert"' in page.text
    assert "Please enter a correct username and password" in page.text
    assert 'value="officer"' in page.text
    assert "_auth_user_id" not in client.session


def test_a_deactivated_user_cannot_sign_in(client, cast):
    cast.officer.is_active = False
    cast.officer.save()
    client.post(
        "/accounts/login/",
        {"username": "officer", "password": "correct horse battery staple"},
    )
    assert "_auth_user_id" not in client.session


def test_signing_out_takes_a_post_and_ends_the_session(client, cast):
    client.force_login(cast.analyst)
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_password_change_needs_the_old_password(client, cast):
    client.force_login(cast.analyst)
    refused = client.post(
        "/accounts/password_change/",
        {
            "old_password": "not it",
            "new_password1": "a much longer passphrase 42",
            "new_password2": "a much longer passphrase 42",
        },
    )
    assert refused.status_code == 200
    assert 'id="id_old_password_error"' in refused.text
    done = client.post(
        "/accounts/password_change/",
        {
            "old_password": "correct horse battery staple",
            "new_password1": "a much longer passphrase 42",
            "new_password2": "a much longer passphrase 42",
        },
    )
    assert done.status_code == 302
    cast.analyst.refresh_from_db()
    assert cast.analyst.check_password("a much longer passphrase 42")


def test_the_password_page_asks_visitors_to_sign_in(client, cast):
    response = client.get("/accounts/password_change/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize(
    "persona,admin_link",
    [("anonymous", False), ("analyst", False), ("officer", False), ("administrator", True)],
)
def test_the_navigation_shows_what_each_role_may_use(client, cast, persona, admin_link):
    if persona != "anonymous":
        client.force_login(getattr(cast, persona))
    text = client.get("/agreements/").text
    for section in ("Dashboard", "Agreements", "Operations", "Partners", "Countries", "Search"):
        assert f">{section}</a>" in text
    assert ('href="/admin/"' in text) is admin_link
    assert ("Sign in</a>" in text) is (persona == "anonymous")
    assert ("Sign out</button>" in text) is (persona != "anonymous")
    assert '<a href="/agreements/" aria-current="page">Agreements</a>' in text


def test_unknown_pages_get_the_portal_404(client, cast, settings):
    settings.DEBUG = False
    page = client.get("/no/such/page/")
    assert page.status_code == 404
    assert "Nothing here" in page.text
    assert 'href="/search/"' in page.text


def test_a_record_one_may_not_see_looks_exactly_like_one_that_does_not_exist(
    client, cast, settings
):
    settings.DEBUG = False
    hidden = factories.AgreementFactory(sensitivity="restricted", parties=[cast.peru])
    client.force_login(cast.officer)
    missing = client.get("/agreements/999999999/")
    hidden_page = client.get(f"/agreements/{hidden.pk}/")
    assert hidden_page.status_code == missing.status_code == 404
    assert hidden_page.content == missing.content


def test_a_server_error_gets_the_portal_500_page_without_details(client, cast, settings):
    from django.urls import path

    from cooperation import urls

    def broken(request):
        raise RuntimeError("database on fire")

    settings.DEBUG = False
    settings.ROOT_URLCONF = type(
        "BrokenURLs", (), {"urlpatterns": [path("broken/", broken), *urls.urlpatterns]}
    )
    client.raise_request_exception = False
    page = client.get("/broken/")
    assert page.status_code == 500
    assert "Something went wrong on our side" in page.text
    assert "nothing was saved" in page.text
    assert "database on fire" not in page.text
