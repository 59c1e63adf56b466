import pytest

from assembly.accounts.models import Gender, User
from assembly.extensions import db
from tests.conftest import PASSWORD, link_in, outbox_bodies

EN = {"Accept-Language": "en"}


def _user(app, person):
    with app.app_context():
        return db.session.get(User, person.id)


def test_log_in_and_out(client, make_user):
    person = make_user(email="ana@example.coop")
    response = client.login("ANA@example.coop ")
    assert response.location == "/"
    assert "Persona" in client.get("/").get_data(as_text=True)
    response = client.logout()
    assert response.status_code == 302
    assert client.get("/profile").status_code == 302  # back to the log-in page
    assert person.email == "ana@example.coop"


def test_wrong_password_and_unknown_email_get_the_same_message(client, make_user):
    make_user(email="ana@example.coop")
    headers = {"Accept-Language": "en"}
    wrong = client.post_form(
        "/login", {"email": "ana@example.coop", "password": "nope-nope"}, headers=headers
    )
    unknown = client.post_form(
        "/login", {"email": "who@example.coop", "password": "nope-nope"}, headers=headers
    )
    for response in (wrong, unknown):
        assert response.status_code == 400
        assert "Wrong e-mail or password." in response.get_data(as_text=True)


def test_login_is_rate_limited_per_account(make_app, make_user):
    app = make_app(LOGIN_RATE_LIMIT_PER_ACCOUNT="3 per minute")
    client = app.test_client()
    make_user(email="ana@example.coop")
    for _ in range(3):
        response = client.post_form("/login", {"email": "ana@example.coop", "password": "x" * 9})
        assert response.status_code == 400
    blocked = client.post_form(
        "/login",
        {"email": "ana@example.coop", "password": PASSWORD},
        headers={"Accept-Language": "en"},
    )
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)
    # Another account from the same address is not locked out by the first.
    make_user(email="beto@example.coop")
    assert (
        client.post_form("/login", {"email": "beto@example.coop", "password": PASSWORD}).status_code
        == 302
    )


def test_login_is_rate_limited_per_address(make_app, make_user):
    app = make_app(LOGIN_RATE_LIMIT="2 per minute")
    client = app.test_client()
    for n in range(2):
        client.post_form("/login", {"email": f"x{n}@example.coop", "password": "x" * 9})
    assert (
        client.post_form("/login", {"email": "y@example.coop", "password": "x" * 9}).status_code
        == 429
    )


def test_passwords_are_stored_with_argon2id(app, make_user):
    person = make_user()
    user = _user(app, person)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_a_post_without_csrf_token_is_refused_and_changes_nothing(app, client, make_user):
    person = make_user(name="Ana")
    client.login(person.email)
    response = client.post(
        "/profile", data={"display_name": "Hacked"}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == 400
    assert "Reload the page and try again" in response.get_data(as_text=True)
    assert _user(app, person).display_name == "Ana"


def test_profile_saves_name_language_and_private_gender(app, client, make_user):
    person = make_user(name="Ana")
    client.login(person.email)
    response = client.post_form(
        "/profile", {"display_name": "Ana María", "locale": "en", "gender": "woman"}
    )
    assert response.status_code == 302
    user = _user(app, person)
    assert (user.display_name, user.locale, user.gender) == ("Ana María", "en", Gender.WOMAN)
    # The language preference now drives the pages.
    assert "My profile" in client.get("/profile").get_data(as_text=True)


def test_profile_rejects_over_long_names_and_unknown_choices(app, client, make_user):
    person = make_user(name="Ana")
    client.login(person.email)
    response = client.post_form(
        "/profile",
        {"display_name": "A" * 121, "locale": "", "gender": "robot"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Field cannot be longer than 120 characters." in page
    assert "Not a valid choice." in page
    assert _user(app, person).display_name == "Ana"


def test_change_password_needs_the_current_one(app, client, make_user):
    person = make_user()
    client.login(person.email)
    response = client.post_form(
        "/profile/password",
        {
            "pw-current": "not-the-password",
            "pw-password": "nueva-clave-1",
            "pw-confirm": "nueva-clave-1",
        },
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert "The current password is not correct." in response.get_data(as_text=True)
    response = client.post_form(
        "/profile/password",
        {
            "pw-current": PASSWORD,
            "pw-password": "nueva-clave-1",
            "pw-confirm": "nueva-clave-1",
        },
    )
    assert response.status_code == 302
    client.logout()
    client.login(person.email, "nueva-clave-1")


def test_password_reset_by_link_works_once(mail_app, make_user):
    client = mail_app.test_client()
    person = make_user()
    response = client.post_form("/password/forgot", {"email": person.email})
    assert response.status_code == 302
    [(to, body)] = mail_app.mailed()
    assert to == person.email
    link = link_in(body)
    assert client.get(link).status_code == 200
    mismatch = client.post_form(
        link,
        {"password": "otra-clave-9", "confirm": "otra-clave-0"},
        headers={"Accept-Language": "en"},
    )
    assert mismatch.status_code == 400
    assert "The passwords do not match." in mismatch.get_data(as_text=True)
    response = client.post_form(link, {"password": "otra-clave-9", "confirm": "otra-clave-9"})
    assert response.status_code == 302
    client.login(person.email, "otra-clave-9")
    client.logout()
    reused = client.get(link, headers={"Accept-Language": "en"})
    assert reused.status_code == 400
    assert "already been used" in reused.get_data(as_text=True)
    reused_post = client.post_form(link, {"password": "tercera-9", "confirm": "tercera-9"})
    assert reused_post.status_code == 400
    client.login(person.email, "otra-clave-9")  # unchanged by the refused reuse


def test_expired_and_forged_reset_links_are_refused(make_app, smtp_server, make_user):
    port, inbox = smtp_server
    app = make_app(
        PASSWORD_RESET_SECONDS=-1, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False
    )
    client = app.test_client()
    person = make_user()
    client.post_form("/password/forgot", {"email": person.email})
    link = link_in(inbox.messages[0].get_payload(decode=True).decode())
    expired = client.get(link, headers={"Accept-Language": "en"})
    assert expired.status_code == 410
    assert "expired" in expired.get_data(as_text=True)
    forged = client.get("/password/reset/not-a-token", headers={"Accept-Language": "en"})
    assert forged.status_code == 400
    assert "not valid" in forged.get_data(as_text=True)


def test_reset_for_an_unknown_address_says_the_same_and_sends_nothing(app, client):
    response = client.post_form("/password/forgot", {"email": "nobody@example.coop"})
    assert response.status_code == 302
    assert outbox_bodies(app) == []


def test_without_a_mail_server_the_reset_page_says_whom_to_ask(app, client, make_user):
    person = make_user()
    page = client.get("/password/forgot", headers=EN).get_data(as_text=True)
    assert "assembly reset-link" in page
    response = client.post_form(
        "/password/forgot", {"email": person.email}, headers=EN, follow_redirects=True
    )
    assert "ask the people who run it" in response.get_data(as_text=True)
    # Nothing anyone could read keeps the link: not the outbox table, not the page.
    assert all("/password/reset/" not in body for body in outbox_bodies(app))


def test_an_operator_prints_a_reset_link_with_a_command(app, runner, make_user):
    person = make_user()
    result = runner.invoke(args=["reset-link", person.email.upper()])
    assert result.exit_code == 0, result.output
    link = link_in(result.output)
    assert link.startswith("/password/reset/")
    client = app.test_client()
    response = client.post_form(link, {"password": "otra-clave-9", "confirm": "otra-clave-9"})
    assert response.status_code == 302
    client.login(person.email, "otra-clave-9")
    unknown = runner.invoke(args=["reset-link", "nobody@example.coop"])
    assert unknown.exit_code != 0 and "No active account" in unknown.output


def test_inactive_accounts_cannot_log_in(app, client, make_user):
    person = make_user()
    with app.app_context():
        db.session.get(User, person.id).active = False
        db.session.commit()
    response = client.post_form("/login", {"email": person.email, "password": PASSWORD})
    assert response.status_code == 400


def test_next_parameter_cannot_redirect_off_site(client, make_user):
    person = make_user()
    response = client.post_form(
        "/login?next=https://evil.example/", {"email": person.email, "password": PASSWORD}
    )
    assert response.location == "/"
    client.logout()
    for target in ("/\\evil.example/", "//evil.example/", "https:/evil.example"):
        response = client.post_form(
            f"/login?next={target}", {"email": person.email, "password": PASSWORD}
        )
        assert response.location == "/", target
        client.logout()
    response = client.post_form(
        "/login?next=/profile", {"email": person.email, "password": PASSWORD}
    )
    assert response.location == "/profile"


# --- links in mail use the public address, never the request's Host --------------------------


def _post_as_host(client, url, data, host, **kwargs):
    """Post from a page of `host`: the test client only sends cookies to the host they came
    from, so the session (and its CSRF token) is copied there first."""
    data = {**data, "csrf_token": client.csrf_token()}
    cookie = client.get_cookie("session")
    client.set_cookie("session", cookie.value, domain=host.split(":")[0])
    return client.post(url, data=data, headers={"Host": host}, **kwargs)


def _public_address(base_url):
    """What links must start with: BASE_URL, or the development default."""
    import os

    return base_url or f"http://127.0.0.1:{os.environ.get('PORT') or 5000}"


@pytest.mark.parametrize("base_url", [None, "https://asamblea.example.coop"])
def test_reset_links_use_the_public_address_whatever_host_the_request_names(
    make_app, smtp_server, make_user, base_url
):
    port, inbox = smtp_server
    app = make_app(BASE_URL=base_url, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False)
    person = make_user()
    client = app.test_client()
    hosts = ("evil.example", "localhost", "asamblea.example.coop:8443")
    for host in hosts:
        _post_as_host(client, "/password/forgot", {"email": person.email}, host)
    bodies = [m.get_payload(decode=True).decode() for m in inbox.messages]
    assert len(bodies) == len(hosts)
    for body in bodies:
        assert _public_address(base_url) + "/password/reset/" in body
        assert "evil.example" not in body and "localhost" not in body and ":8443" not in body


@pytest.mark.parametrize("base_url", [None, "https://asamblea.example.coop/"])
def test_invitation_links_use_the_public_address_whatever_host_the_request_names(
    make_app, make_user, make_org, base_url
):
    app = make_app(BASE_URL=base_url)
    admin = make_user()
    org = make_org(members={admin: "admin"})
    client = app.test_client()
    client.login(admin.email)
    response = _post_as_host(
        client,
        f"/o/{org.slug}/invitations",
        {"email": "nueva@example.coop", "role": "member"},
        "evil.example",
    )
    assert response.status_code == 302
    page = client.get(f"/o/{org.slug}/members", headers={"Host": "evil.example"})
    expected = _public_address(base_url and base_url.rstrip("/")) + "/invitations/"
    assert expected in page.get_data(as_text=True)  # the link the admin is shown
    [body] = outbox_bodies(app)
    assert expected in body and "evil.example" not in body


def test_guessing_from_one_address_does_not_lock_the_owner_out(make_app, make_user):
    app = make_app(LOGIN_RATE_LIMIT="10 per minute", LOGIN_RATE_LIMIT_PER_ACCOUNT="5 per minute")
    owner = make_user(email="ana@example.coop")
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    for _ in range(5):
        wrong = {"email": owner.email, "password": "adivinanza-1"}
        assert attacker.post_form("/login", wrong).status_code == 400
    # The attacker is held back, for this account and, past ten tries, for any account.
    assert (
        attacker.post_form("/login", {"email": owner.email, "password": PASSWORD}).status_code
        == 429
    )
    statuses = [
        attacker.post_form(
            "/login", {"email": f"otra{n}@example.coop", "password": "x" * 9}
        ).status_code
        for n in range(6)
    ]
    # Ten a minute from one address, whatever the account (the refused one did not count).
    assert statuses == [400] * 5 + [429], statuses
    # The owner, from her own address, logs in.
    own = app.test_client()
    own.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert own.post_form("/login", {"email": owner.email, "password": PASSWORD}).status_code == 302


def test_behind_a_proxy_limits_count_each_person_s_address(make_app, make_user):
    app = make_app(PROXY_COUNT=1, LOGIN_RATE_LIMIT_PER_ACCOUNT="2 per minute")
    owner = make_user()
    client = app.test_client()  # every request comes from the proxy's address
    attacker = {"X-Forwarded-For": "203.0.113.9"}
    for _ in range(2):
        client.post_form("/login", {"email": owner.email, "password": "x" * 9}, headers=attacker)
    blocked = {"email": owner.email, "password": PASSWORD}
    assert client.post_form("/login", blocked, headers=attacker).status_code == 429
    own = {"X-Forwarded-For": "198.51.100.7"}
    assert client.post_form("/login", blocked, headers=own).status_code == 302
