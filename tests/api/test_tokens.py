"""API tokens: how a partner system authenticates, what a token may do, how often it may ask,
and how tokens are issued (command line, admin) without their keys being kept.

The API tests go through real HTTP requests to a stand-in endpoint mounted by this module,
which is also the URLconf of its tests (with the admin beside it).
"""

from __future__ import annotations

import datetime
import re
from io import StringIO

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse
from django.utils import timezone
from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from cooperation.api.authentication import ApiTokenAuthentication
from cooperation.api.permissions import ReadOnlyTokenPermission, RecordPermission
from cooperation.api.throttling import TokenRateThrottle
from cooperation.models import ApiToken, Deletion
from operations.models import JointOperation


class Probe(APIView):
    """Stands in for a record endpoint: writes nothing, answers with who asked."""

    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]
    permission_classes = [ReadOnlyTokenPermission, RecordPermission]
    throttle_classes = []
    queryset = JointOperation.objects.none()

    def get(self, request):
        return Response({"user": request.user.get_username() or None})

    post = put = patch = delete = get


class ThrottledProbe(Probe):
    throttle_classes = [TokenRateThrottle]


urlpatterns = [
    path("probe/", Probe.as_view(), name="probe"),
    path("throttled/", ThrottledProbe.as_view(), name="throttled"),
    # The rest of the site, so that its pages (a 403, say) render as they do in production.
    path("", include("cooperation.urls")),
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

UNSAFE_METHODS = ["post", "put", "patch", "delete"]


@pytest.fixture
def api():
    return APIClient()


def token_header(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Token {key}"}


def call(api, method: str, key: str | None = None, url: str = "/probe/"):
    return getattr(api, method)(url, **(token_header(key) if key else {}))


# The key and its digest


def test_the_stored_digest_is_not_the_key(cast):
    token, key = ApiToken.issue(cast.officer)
    token.refresh_from_db()
    assert token.key_hash != key
    assert token.key_hash == ApiToken.digest(key)
    assert key not in {str(getattr(token, f.attname)) for f in ApiToken._meta.concrete_fields}
    assert token.prefix == key[:8]


# Authentication


def test_a_valid_token_authenticates_its_user(api, cast):
    _, key = ApiToken.issue(cast.officer)
    response = call(api, "get", key)
    assert response.status_code == 200
    assert response.json() == {"user": "officer"}


def test_the_scheme_keyword_is_matched_without_regard_to_case_as_drf_does(api, cast):
    _, key = ApiToken.issue(cast.officer)
    response = api.get("/probe/", HTTP_AUTHORIZATION=f"token {key}")
    assert response.json() == {"user": "officer"}


def test_another_scheme_is_left_to_other_authenticators(api, cast):
    _, key = ApiToken.issue(cast.officer)
    response = api.get("/probe/", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200
    assert response.json() == {"user": None}


def test_a_wrong_key_is_refused_with_401_as_an_invalid_token(api, cast):
    ApiToken.issue(cast.officer)
    response = call(api, "get", "not-a-key-anyone-was-given")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."
    assert response["WWW-Authenticate"] == "Token"


def test_a_header_without_a_key_is_refused(api):
    response = api.get("/probe/", HTTP_AUTHORIZATION="Token")
    assert response.status_code == 401


def test_an_expired_token_is_refused_as_expired(api, cast):
    token, key = ApiToken.issue(cast.officer)
    ApiToken.objects.filter(pk=token.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = call(api, "get", key)
    assert response.status_code == 401
    assert response.json()["detail"] == "Token expired."


def test_a_token_of_a_deactivated_user_is_refused(api, cast):
    _, key = ApiToken.issue(cast.officer)
    cast.officer.is_active = False
    cast.officer.save()
    response = call(api, "get", key)
    assert response.status_code == 401
    assert response.json()["detail"] == "User inactive or deleted."


def test_an_unknown_key_costs_the_same_queries_as_an_expired_one(api, cast):
    token, key = ApiToken.issue(cast.officer, expires_in_days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    with CaptureQueriesContext(connection) as expired:
        assert call(api, "get", key).status_code == 401
    with CaptureQueriesContext(connection) as unknown:
        assert call(api, "get", key[::-1]).status_code == 401
    assert len(expired) == len(unknown)


# Permissions


def test_a_read_only_token_may_read(api, cast):
    _, key = ApiToken.issue(cast.officer, read_only=True)
    assert call(api, "get", key).status_code == 200


@pytest.mark.parametrize("method", UNSAFE_METHODS)
def test_a_read_only_token_may_not_write_even_for_an_officer(api, cast, method):
    _, key = ApiToken.issue(cast.officer, read_only=True)
    response = call(api, method, key)
    assert response.status_code == 403
    assert response.json()["detail"] == "This token is read-only."


@pytest.mark.parametrize("method", UNSAFE_METHODS)
def test_an_analyst_may_not_write(api, cast, method):
    _, key = ApiToken.issue(cast.analyst)
    response = call(api, method, key)
    assert response.status_code == 403
    assert response.json()["detail"] != "This token is read-only."


@pytest.mark.parametrize("method", UNSAFE_METHODS)
def test_an_officer_may_write_with_a_token(api, cast, method):
    _, key = ApiToken.issue(cast.officer)
    assert call(api, method, key).status_code == 200


def test_an_officer_may_write_in_a_browser_session(api, cast):
    api.force_login(cast.officer)
    assert api.post("/probe/").status_code == 200


def test_anyone_may_read_and_an_anonymous_write_asks_for_credentials(api):
    assert api.get("/probe/").status_code == 200
    response = api.post("/probe/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


# Last use


def updates(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith("UPDATE")]


def test_last_used_at_is_stamped_but_not_more_than_once_a_minute(api, cast):
    token, key = ApiToken.issue(cast.officer)
    assert token.last_used_at is None
    call(api, "get", key)
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None

    with CaptureQueriesContext(connection) as queries:
        assert call(api, "get", key).status_code == 200
    assert updates(queries) == []
    token.refresh_from_db()
    assert token.last_used_at == first_use

    a_while_ago = first_use - datetime.timedelta(seconds=61)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=a_while_ago)
    call(api, "get", key)
    token.refresh_from_db()
    assert token.last_used_at > first_use


def test_two_requests_racing_stamp_the_last_use_once(cast):
    token, _ = ApiToken.issue(cast.officer)
    first, second = ApiToken.objects.get(pk=token.pk), ApiToken.objects.get(pk=token.pk)
    ApiTokenAuthentication.record_use(first)
    with CaptureQueriesContext(connection) as queries:
        ApiTokenAuthentication.record_use(second)  # read before the first wrote
    assert len(updates(queries)) == 1  # it tried, and the condition held it back
    assert second.last_used_at is None
    token.refresh_from_db()
    assert token.last_used_at == first.last_used_at


# Throttling


@pytest.fixture
def low_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "3/minute", "anon": "2/minute"},
    }
    cache.clear()
    yield
    cache.clear()


def throttle_key(headers: dict) -> str:
    request = Request(
        APIRequestFactory().get("/", **headers), authenticators=[ApiTokenAuthentication()]
    )
    return TokenRateThrottle().get_cache_key(request, view=None)


def test_each_token_of_a_user_has_its_own_throttle_key(cast, low_rates):
    _, one = ApiToken.issue(cast.officer)
    _, other = ApiToken.issue(cast.officer)
    assert throttle_key(token_header(one)) != throttle_key(token_header(other))


def test_the_request_after_a_tokens_rate_is_refused_and_other_tokens_carry_on(api, cast, low_rates):
    _, one = ApiToken.issue(cast.officer)
    _, other = ApiToken.issue(cast.officer)
    assert [call(api, "get", one, "/throttled/").status_code for _ in range(3)] == [200] * 3
    refused = call(api, "get", one, "/throttled/")
    assert refused.status_code == 429
    assert "Retry-After" in refused
    assert call(api, "get", other, "/throttled/").status_code == 200


def test_a_browser_session_is_throttled_per_user(api, cast, low_rates):
    api.force_login(cast.officer)
    assert [api.get("/throttled/").status_code for _ in range(4)] == [200, 200, 200, 429]
    api.force_login(cast.analyst)
    assert api.get("/throttled/").status_code == 200


def test_anonymous_clients_get_the_anonymous_rate_per_address(api, low_rates):
    assert [api.get("/throttled/").status_code for _ in range(3)] == [200, 200, 429]
    assert api.get("/throttled/", REMOTE_ADDR="192.0.2.7").status_code == 200


def test_an_anonymous_client_cannot_name_its_own_address(api, low_rates):
    """With no proxy declared (``NUM_PROXIES=0``) a client's X-Forwarded-For is not believed:
    changing it each time does not escape the anonymous rate."""
    statuses = [
        api.get("/throttled/", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code for n in range(3)
    ]
    assert statuses == [200, 200, 429]


# The create_api_token command


def create_api_token(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_prints_only_the_key_which_then_authenticates(api, cast):
    out, err = create_api_token("officer", "--name", "Ministry case system")
    key = out.removesuffix("\n")
    assert re.fullmatch(r"[\w-]+", key)
    assert key not in err
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.read_only, token.expires_at) == (
        cast.officer,
        "Ministry case system",
        False,
        None,
    )
    assert token.key_hash == ApiToken.digest(key)
    assert call(api, "get", key).json() == {"user": "officer"}


def test_the_command_issues_a_read_only_token(api, cast):
    out, _ = create_api_token("officer", "--read-only")
    key = out.strip()
    assert call(api, "get", key).status_code == 200
    assert call(api, "post", key).json()["detail"] == "This token is read-only."


def test_the_command_issues_a_token_that_expires_in_the_days_given(cast):
    create_api_token("officer", "--expires-in", "7")
    expected = timezone.now() + datetime.timedelta(days=7)
    expires_at = ApiToken.objects.get().expires_at
    assert abs(expires_at - expected) < datetime.timedelta(minutes=1)


@pytest.mark.parametrize(
    ("username", "message"),
    [("nobody", "No user named 'nobody'"), ("analyst", "User 'analyst' is inactive")],
)
def test_the_command_refuses_an_unknown_or_inactive_user(cast, username, message):
    cast.analyst.is_active = False
    cast.analyst.save()
    with pytest.raises(CommandError, match=message):
        create_api_token(username)
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("days", ["0", "-3", "soon", "99999999"])
def test_the_command_refuses_days_that_are_not_a_positive_number(cast, days):
    with pytest.raises(CommandError, match="expires-in"):
        create_api_token("officer", "--expires-in", days)
    assert not ApiToken.objects.exists()


# The admin


def shown_key(response) -> str:
    match = re.search(
        r"<code>([^<]+)</code>[^<]*copy it now, it will not be shown again", response.text
    )
    assert match, "no key shown"
    return match.group(1)


def test_adding_a_token_in_the_admin_shows_its_key_once_and_stores_only_its_digest(client, cast):
    client.force_login(cast.administrator)
    response = client.post(
        reverse("admin:cooperation_apitoken_add"),
        {"user": cast.officer.pk, "name": "BI dashboard", "expires_at_0": "", "expires_at_1": ""},
        follow=True,
    )
    assert response.status_code == 200
    key = shown_key(response)
    token = ApiToken.objects.get()
    assert (token.user, token.name) == (cast.officer, "BI dashboard")
    assert token.key_hash == ApiToken.digest(key)

    again = client.get(reverse("admin:cooperation_apitoken_changelist"))
    change = client.get(reverse("admin:cooperation_apitoken_change", args=[token.pk]))
    for page in (again, change):
        assert key not in page.text
        assert token.key_hash not in page.text


def test_the_admin_change_form_cannot_edit_the_key_or_the_user(client, cast):
    token, key = ApiToken.issue(cast.officer)
    client.force_login(cast.administrator)
    response = client.post(
        reverse("admin:cooperation_apitoken_change", args=[token.pk]),
        {
            "user": cast.analyst.pk,
            "name": "Renamed",
            "key_hash": "0" * 64,
            "prefix": "forged",
            "expires_at_0": "",
            "expires_at_1": "",
        },
    )
    assert response.status_code == 302
    token.refresh_from_db()
    assert (token.user, token.name) == (cast.officer, "Renamed")
    assert token.key_hash == ApiToken.digest(key)
    assert token.prefix == key[:8]


def test_regenerating_a_key_in_the_admin_shows_the_new_one_once_and_retires_the_old(
    client, api, cast
):
    token, old_key = ApiToken.issue(cast.officer)
    client.force_login(cast.administrator)
    response = client.post(
        reverse("admin:cooperation_apitoken_changelist"),
        {"action": "regenerate_keys", "_selected_action": [token.pk]},
        follow=True,
    )
    new_key = shown_key(response)
    assert new_key != old_key
    assert call(api, "get", old_key).status_code == 401
    assert call(api, "get", new_key).json() == {"user": "officer"}
    assert new_key not in client.get(reverse("admin:cooperation_apitoken_changelist")).text


def test_the_deletion_admin_offers_no_add_change_or_delete(client, rf, cast):
    deletion = Deletion.objects.create(resource="operations", object_id=1, sensitivity="public")
    model_admin = admin.site.get_model_admin(Deletion)
    request = rf.get("/")
    request.user = cast.administrator
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, deletion)
    assert not model_admin.has_delete_permission(request, deletion)

    client.force_login(cast.administrator)
    listing = client.get(reverse("admin:cooperation_deletion_changelist"))
    assert listing.status_code == 200
    assert "delete_selected" not in listing.text
    assert client.get(reverse("admin:cooperation_deletion_add")).status_code == 403
    change_url = reverse("admin:cooperation_deletion_change", args=[deletion.pk])
    assert client.post(change_url, {"resource": "agreements"}).status_code == 403
    delete_url = reverse("admin:cooperation_deletion_delete", args=[deletion.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    deletion.refresh_from_db()
    assert deletion.resource == "operations"


def test_the_deletion_admin_lists_tombstones_to_administrators_only(client, cast):
    """The admin is the administrators' (``cooperation.admin_site``): a staff officer, even
    one entitled to the tombstone, is sent to sign in; an administrator sees it."""
    Deletion.objects.create(
        resource="operations", object_id=7, sensitivity="restricted", partner_ids=[cast.peru.pk]
    )
    for persona in (cast.outsider, cast.officer):
        persona.is_staff = True
        persona.save()
        client.force_login(persona)
        listing = client.get(reverse("admin:cooperation_deletion_changelist"))
        assert listing.status_code == 302
        assert listing["Location"].startswith(reverse("admin:login"))
    client.force_login(cast.administrator)
    listing = client.get(reverse("admin:cooperation_deletion_changelist"))
    assert [d.object_id for d in listing.context["cl"].result_list] == [7]
