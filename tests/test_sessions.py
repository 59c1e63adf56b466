"""Log-ins end when they should: log-out, a new password, "log out everywhere". Copies of the
session and remember-me cookies taken before then open nothing afterwards, on pages and sockets."""

import pytest
from flask_login.utils import encode_cookie

from tests.conftest import PASSWORD

EN = {"Accept-Language": "en"}
NEW = "otra-clave-segura-1"


def _log_in(app, person, *, remember=False):
    client = app.test_client()
    data = {"email": person.email, "password": person.password}
    if remember:
        data["remember"] = "y"
    assert client.post_form("/login", data).status_code == 302
    return client


def _copy(app, client, *names):
    """Another browser holding copies of `client`'s cookies (a thief, or a forgotten device)."""
    thief = app.test_client()
    for name in names:
        thief.set_cookie(name, client.get_cookie(name).value)
    return thief


def _opens_profile(client) -> bool:
    response = client.get("/profile")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_copied_cookies_open_the_account_while_the_log_in_lasts(app, make_user):
    person = make_user()
    owner = _log_in(app, person, remember=True)
    assert _opens_profile(_copy(app, owner, "session"))
    assert _opens_profile(_copy(app, owner, "remember_token"))


def test_log_out_ends_this_device_and_its_copied_cookies_but_not_other_devices(app, make_user):
    person = make_user()
    laptop = _log_in(app, person, remember=True)
    phone = _log_in(app, person, remember=True)
    session_copy = _copy(app, laptop, "session")
    remember_copy = _copy(app, laptop, "remember_token")
    laptop.logout()
    assert not _opens_profile(laptop)
    assert not _opens_profile(session_copy)
    assert not _opens_profile(remember_copy)
    assert _opens_profile(phone)


def test_changing_the_password_ends_every_other_log_in(app, make_user):
    person = make_user()
    here = _log_in(app, person, remember=True)
    elsewhere = _log_in(app, person, remember=True)
    copies = [_copy(app, here, "session"), _copy(app, here, "remember_token")]
    copies += [_copy(app, elsewhere, "session"), _copy(app, elsewhere, "remember_token")]
    response = here.post_form(
        "/profile/password",
        {"pw-current": PASSWORD, "pw-password": NEW, "pw-confirm": NEW},
        headers=EN,
    )
    assert response.status_code == 302
    # This device goes on, and is told what happened.
    page = here.get("/profile", headers=EN)
    assert page.status_code == 200
    assert "logged out on other devices" in page.get_data(as_text=True)
    assert not _opens_profile(elsewhere)
    for copy in copies:  # copies of this device's cookies too: they were taken before
        assert not _opens_profile(copy)
    # The device that changed it stays remembered, with a new cookie.
    assert _opens_profile(_copy(app, here, "remember_token"))


def test_a_wrong_current_password_ends_nothing(app, make_user):
    person = make_user()
    here = _log_in(app, person)
    elsewhere = _log_in(app, person)
    response = here.post_form(
        "/profile/password", {"pw-current": "wrong-one-9", "pw-password": NEW, "pw-confirm": NEW}
    )
    assert response.status_code == 400
    assert _opens_profile(here) and _opens_profile(elsewhere)


def test_resetting_the_password_ends_every_log_in(mail_app, make_user):
    from tests.conftest import link_in

    person = make_user()
    devices = [_log_in(mail_app, person, remember=True) for _ in range(2)]
    copies = [_copy(mail_app, devices[0], "session"), _copy(mail_app, devices[1], "remember_token")]
    visitor = mail_app.test_client()
    visitor.post_form("/password/forgot", {"email": person.email})
    [(_to, body)] = mail_app.mailed()
    link = link_in(body)
    assert visitor.post_form(link, {"password": NEW, "confirm": NEW}).status_code == 302
    for client in devices + copies:
        assert not _opens_profile(client)
    _log_in(mail_app, type(person)(person.id, person.email, person.name, NEW))


def test_log_out_everywhere_ends_every_log_in_and_this_one(app, make_user):
    person = make_user()
    here = _log_in(app, person, remember=True)
    others = [_log_in(app, person, remember=True), _copy(app, here, "remember_token")]
    assert "Log out everywhere" in here.get("/profile", headers=EN).get_data(as_text=True)
    assert here.post("/logout/everywhere").status_code == 400  # a button: CSRF token needed
    response = here.post_form("/logout/everywhere")
    assert response.status_code == 302 and response.location == "/login"
    for client in [here, *others]:
        assert not _opens_profile(client)
    _log_in(app, person)  # the password still works


def test_another_person_is_not_logged_out(app, make_user):
    ana, beto = make_user(), make_user()
    ana_client, beto_client = _log_in(app, ana), _log_in(app, beto)
    ana_client.post_form("/logout/everywhere")
    assert _opens_profile(beto_client)


def test_the_remember_me_cookie_names_a_log_in_not_a_user(app, make_user):
    """Even with the secret key, a remember-me cookie cannot be made for a user id."""
    person = make_user()
    client = _log_in(app, person, remember=True)
    value = client.get_cookie("remember_token").value
    assert not value.startswith(f"{person.id}|")
    forger = app.test_client()
    with app.test_request_context():
        forger.set_cookie("remember_token", encode_cookie(str(person.id)))
    assert not _opens_profile(forger)


def test_log_ins_expire_after_thirty_days(app, make_user):
    from datetime import timedelta

    from assembly.accounts.models import UserSession
    from assembly.extensions import db

    person = make_user()
    client = _log_in(app, person, remember=True)
    with app.app_context():
        for row in db.session.scalars(db.select(UserSession)):
            assert row.expires_at - row.created_at == timedelta(days=30)
            row.expires_at = row.created_at  # a month later
        db.session.commit()
    assert not _opens_profile(client)
    assert not _opens_profile(_copy(app, client, "remember_token"))


def test_only_the_token_hash_is_stored(app, make_user):
    from assembly.accounts.models import UserSession
    from assembly.extensions import db

    person = make_user()
    client = _log_in(app, person, remember=True)
    value = client.get_cookie("remember_token").value.split("|")[0]
    with app.app_context():
        [row] = db.session.scalars(db.select(UserSession)).all()
        assert value not in row.token_hash


# --- sockets -----------------------------------------------------------------------------------


def _socket_with(app, http):
    from assembly.extensions import socketio

    return socketio.test_client(app, flask_test_client=http)


@pytest.mark.parametrize("how", ["logout", "everywhere", "password"])
def test_socket_connections_of_an_ended_log_in_are_closed(app, coop, make_meeting, how):
    org, people = coop
    meeting = make_meeting(org)
    person = people["facilitator"]
    laptop = _log_in(app, person)
    phone = _log_in(app, person)
    laptop_socket = _socket_with(app, laptop)
    phone_socket = _socket_with(app, phone)
    for sock in (laptop_socket, phone_socket):
        assert sock.emit("join", {"meeting_id": meeting.id}, callback=True)["ok"]
    copied = _copy(app, laptop, "session")
    if how == "logout":
        laptop.logout()
    elif how == "everywhere":
        laptop.post_form("/logout/everywhere")
    else:
        phone.post_form(
            "/profile/password", {"pw-current": PASSWORD, "pw-password": NEW, "pw-confirm": NEW}
        )
    assert not laptop_socket.is_connected()
    # Logging out on the laptop leaves the phone's connection; the other ways end it too.
    assert phone_socket.is_connected() == (how == "logout")
    if how == "password":
        assert not phone_socket.is_connected()
    # A new connection with a copy of the ended cookie is only a visitor: it cannot join.
    again = _socket_with(app, copied)
    answer = again.emit("join", {"meeting_id": meeting.id}, callback=True)
    assert not answer["ok"]
    again.disconnect()
    for sock in (laptop_socket, phone_socket):
        if sock.is_connected():
            sock.disconnect()


def test_is_open_tells_whether_a_log_in_still_opens_anything(app, make_user):
    """For handlers that keep who is behind a connection (the fast ballot path)."""
    from assembly.accounts import sessions
    from assembly.accounts.models import User
    from assembly.extensions import db

    person = make_user()
    with app.test_request_context():
        user = db.session.get(User, person.id)
        sessions.start(user)
        session_id = user.session_id
        db.session.commit()
        assert sessions.is_open(session_id)
        sessions.end(user)
        db.session.commit()
        assert not sessions.is_open(session_id)
