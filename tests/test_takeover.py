"""No one gains rights in an organisation where they had none: an admin never sees a working
password reset link of anyone, whatever organisations that person belongs to elsewhere."""

import re
from collections import deque

import pytest

from assembly.accounts.service import user_for_reset_token
from assembly.core.errors import DomainError
from tests.conftest import outbox_bodies

TOKEN = re.compile(r"[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{16,}")


def working_tokens(app, text: str) -> list[str]:
    """Every string in `text` that opens a password reset."""
    found = []
    with app.app_context():
        for candidate in set(TOKEN.findall(text)):
            try:
                user_for_reset_token(candidate)
            except DomainError:
                continue
            found.append(candidate)
    return found


def crawl(client, starts, limit=400) -> list[str]:
    """Every page reachable by following links from `starts`, as this client sees them."""
    seen, queue, pages = set(), deque(starts), []
    while queue and len(seen) < limit:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path, headers={"Accept-Language": "en"})
        text = response.get_data(as_text=True) + str(response.headers)
        pages.append(text)
        for link in re.findall(r'href="(/[^"#]*)', text):
            link = link.replace("&amp;", "&")
            if not link.startswith(("/static/", "/logout", "/language/", "//")):
                queue.append(link)
    return pages


@pytest.mark.parametrize("mail", [False, True], ids=["no mail server", "mail server"])
def test_an_admin_never_sees_a_working_reset_link(
    make_app, smtp_server, make_user, make_org, make_meeting, mail
):
    admin, member = make_user(name="Alicia Admin"), make_user(name="Mario Miembro")
    secretary_elsewhere = make_user(name="Sonia Secretaria")
    admin_elsewhere = make_user(name="Andrés Admin")
    only_elsewhere = make_user(name="Olga Otra")
    org_a = make_org(
        "Cooperativa A",
        members={
            admin: "admin",
            member: "member",
            secretary_elsewhere: "member",
            admin_elsewhere: "facilitator",
        },
    )
    make_org("Cooperativa B", members={secretary_elsewhere: "secretary", only_elsewhere: "member"})
    make_org("Cooperativa C", members={admin_elsewhere: "admin"})
    make_meeting(org_a)
    port, inbox = smtp_server
    config = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_USE_TLS": False} if mail else {}
    site = make_app(**config)
    targets = [admin, member, secretary_elsewhere, admin_elsewhere, only_elsewhere]

    # Resets are asked for everyone: by a visitor, and by the admin herself, logged in.
    visitor = site.test_client()
    admin_client = site.test_client()
    admin_client.login(admin.email)
    for target in targets:
        for client in (visitor, admin_client):
            assert client.post_form("/password/forgot", {"email": target.email}).status_code == 302
    # An invitation, which the admin may see.
    admin_client.post_form(
        f"/o/{org_a.slug}/invitations", {"email": "nueva@example.coop", "role": "admin"}
    )

    if mail:  # the links exist, and went to their owners only
        mailed = [(m["To"], m.get_payload(decode=True).decode()) for m in inbox.messages]
        resets = [(to, body) for to, body in mailed if "/password/reset/" in body]
        assert len(resets) == 2 * len(targets)
        for to, body in resets:
            [token] = working_tokens(site, body)  # the detector finds a real one
            with site.app_context():
                assert user_for_reset_token(token).email == to

    pages = crawl(admin_client, ["/", "/profile", f"/o/{org_a.slug}/", f"/o/{org_a.slug}/outbox"])
    assert len(pages) > 15
    everything = "\n".join(pages)
    assert "/invitations/" in everything  # what she may see, she sees
    assert "/password/reset/" not in everything
    assert working_tokens(site, everything) == []
    # Nor is a link kept where a database reader, or a later page, would find it.
    assert working_tokens(site, "\n".join(outbox_bodies(site))) == []


def test_the_outbox_shows_only_what_the_organisation_sent(app, client, coop, make_org, make_user):
    org, people = coop
    other_admin = make_user()
    other = make_org("Cooperativa B", members={other_admin: "admin", people["member"]: "member"})
    client.login(other_admin.email)
    client.post_form(f"/o/{other.slug}/invitations", {"email": "b@example.coop", "role": "member"})
    client.logout()
    client.login(people["admin"].email)
    client.post_form(f"/o/{org.slug}/invitations", {"email": "a@example.coop", "role": "member"})
    page = client.get(f"/o/{org.slug}/outbox").get_data(as_text=True)
    assert "a@example.coop" in page and "b@example.coop" not in page
