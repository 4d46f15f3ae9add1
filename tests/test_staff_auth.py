"""Login, lockout, sessions and CSRF of the staff console, through the real HTTP routes."""
from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from hotline.staff import auth
from hotline.storage.db import session_scope
from hotline.storage.models import AuditEntry, StaffUser, as_utc
from test_staff_fixtures import PASSWORD, form_token, login, make_staff


def _try(client: TestClient, username: str, password: str):  # type: ignore[no-untyped-def]
    token = form_token(client.get("/staff/login").text)
    return client.post("/staff/login", data={"username": username, "password": password, "csrf_token": token},
                       follow_redirects=False)


def test_pages_need_a_login(client: TestClient) -> None:
    for path in ("/staff", "/staff/contacts", "/staff/audit", "/staff/handovers/1"):
        resp = client.get(path, follow_redirects=False)
        assert resp.status_code == 303 and resp.headers["location"] == "/staff/login"
    assert client.get("/staff/api/queue").status_code == 401
    assert client.get("/staff/events").status_code == 401


def test_login_sets_a_strict_httponly_cookie_and_stores_an_argon2_hash(client: TestClient) -> None:
    make_staff("ana", "Ana")
    with session_scope() as s:
        assert s.scalars(select(StaffUser.password_hash)).one().startswith("$argon2id$")
    resp = _try(client, "ana", PASSWORD)
    assert resp.status_code == 303
    cookie = [h for h in resp.headers.get_list("set-cookie") if h.startswith(auth.SESSION_COOKIE + "=")][0]
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=strict" in lowered and "path=/staff" in lowered
    assert "max-age=43200" in lowered
    assert "secure" not in lowered.replace("samesite", "")  # plain http in the test: no Secure flag
    page = client.get("/staff")
    assert page.status_code == 200 and "Ana" in page.text
    assert page.headers["cache-control"].startswith("no-store")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "<script>" not in page.text  # no inline script (CSP)


def test_cookie_is_secure_over_https(hotline_env) -> None:  # type: ignore[no-untyped-def]
    from hotline.app import create_app

    with TestClient(create_app(), base_url="https://testserver") as secure_client:
        make_staff("ana", "Ana")
        resp = _try(secure_client, "ana", PASSWORD)
        cookie = [h for h in resp.headers.get_list("set-cookie") if h.startswith(auth.SESSION_COOKIE + "=")][0]
        assert "; secure" in cookie.lower()


def test_wrong_password_five_times_locks_for_fifteen_minutes(client: TestClient) -> None:
    make_staff("ana", "Ana")
    for _ in range(4):
        assert _try(client, "ana", "wrong password here").status_code == 401
    fifth = _try(client, "ana", "wrong password here")
    assert fifth.status_code == 423 and "locked" in fifth.text
    # the right password is refused while locked
    assert _try(client, "ana", PASSWORD).status_code == 423
    with session_scope() as s:
        user = s.scalars(select(StaffUser).where(StaffUser.username == "ana")).one()
        locked_until = as_utc(user.locked_until)
        from hotline.storage.models import utcnow

        remaining = (locked_until - utcnow()).total_seconds()
        assert 14 * 60 < remaining <= 15 * 60
        actions = [a for a in s.scalars(select(AuditEntry.action).order_by(AuditEntry.id))]
        assert actions.count("login_failed") == 5 and actions.count("lockout") == 1
        assert actions[-1] == "login_refused_locked"
        # the lock runs out: move it into the past and the right password works again
        from datetime import timedelta

        user.locked_until = utcnow() - timedelta(seconds=1)
    assert _try(client, "ana", PASSWORD).status_code == 303


def test_unknown_user_and_wrong_password_look_the_same(client: TestClient) -> None:
    make_staff("ana", "Ana")
    a, b = _try(client, "nobody", PASSWORD), _try(client, "ana", "not the password")
    assert a.status_code == b.status_code == 401
    assert "The username or password is not right." in a.text and "The username or password is not right." in b.text
    with session_scope() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "login_failed")).first()
        assert entry.staff_id is None and entry.target is None  # what was typed is not kept


def test_login_without_the_form_token_is_refused(client: TestClient) -> None:
    make_staff("ana", "Ana")
    client.get("/staff/login")
    resp = client.post("/staff/login", data={"username": "ana", "password": PASSWORD, "csrf_token": "forged"},
                       follow_redirects=False)
    assert resp.status_code == 403
    assert client.get("/staff", follow_redirects=False).status_code == 303  # not logged in


def test_state_changing_posts_refuse_a_missing_or_wrong_csrf_token(client: TestClient) -> None:
    make_staff("ana", "Ana")
    csrf = login(client, "ana")
    for path in ("/staff/duty", "/staff/logout", "/staff/handovers/1/join", "/staff/handovers/1/hand-back",
                 "/staff/contacts/1/handled"):
        assert client.post(path, data={"on_duty": "1"}, follow_redirects=False).status_code == 403, path
        assert client.post(path, data={"on_duty": "1", "csrf_token": "x" + csrf[1:]},
                           follow_redirects=False).status_code == 403, path
    resp = client.post("/staff/handovers/1/messages", data={"text": "hello"},
                       headers={"Accept": "application/json"})
    assert resp.status_code == 403
    with session_scope() as s:
        assert s.scalars(select(StaffUser.on_duty)).one() is False
    # with the token it works (header or form field)
    assert client.post("/staff/duty", data={"on_duty": "1"}, headers={"X-CSRF-Token": csrf},
                       follow_redirects=False).status_code == 303
    with session_scope() as s:
        assert s.scalars(select(StaffUser.on_duty)).one() is True


def test_logout_ends_the_session_even_if_the_cookie_is_kept(client: TestClient) -> None:
    make_staff("ana", "Ana")
    csrf = login(client, "ana")
    stolen = client.cookies.get(auth.SESSION_COOKIE)
    assert client.post("/staff/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    client.cookies.set(auth.SESSION_COOKIE, stolen, path="/staff")
    assert client.get("/staff", follow_redirects=False).status_code == 303


def test_disabled_account_session_stops_and_login_is_refused(client: TestClient) -> None:
    from hotline.staff.accounts import disable_staff

    make_staff("ana", "Ana")
    login(client, "ana")
    with session_scope() as s:
        disable_staff(s, "ana")
    assert client.get("/staff", follow_redirects=False).status_code == 303
    assert _try(client, "ana", PASSWORD).status_code == 401


def test_expired_or_forged_session_cookie_is_refused(client: TestClient, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    make_staff("ana", "Ana")
    login(client, "ana")
    good = client.cookies.get(auth.SESSION_COOKIE)
    client.cookies.set(auth.SESSION_COOKIE, good[:-2] + ("AA" if not good.endswith("AA") else "BB"), path="/staff")
    assert client.get("/staff", follow_redirects=False).status_code == 303
    client.cookies.set(auth.SESSION_COOKIE, good, path="/staff")
    assert client.get("/staff", follow_redirects=False).status_code == 200
    monkeypatch.setattr(auth, "SESSION_MAX_AGE", -1)  # every cookie is now older than allowed
    assert client.get("/staff", follow_redirects=False).status_code == 303
