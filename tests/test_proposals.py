"""Proposals: writing, co-authors, support, deliberation, the lifecycle, versions and their
diffs, amendments; and the organisation's register of decisions."""

from datetime import datetime

import pytest
from sqlalchemy import func, select

from assembly.accounts.models import User
from assembly.core.errors import DomainError
from assembly.extensions import db
from assembly.meetings.models import AgendaItem
from assembly.organisations.models import Organisation
from assembly.proposals import service
from assembly.proposals.models import (
    Amendment,
    AmendmentStatus,
    Proposal,
    ProposalAuthor,
    ProposalComment,
    ProposalStatus,
    ProposalSupporter,
    ProposalVersion,
)
from assembly.voting.models import Decision

EN = {"Accept-Language": "en"}
BODY = "Aprobar un retiro mensual de **$500.000** por persona."


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def make_proposal(app):
    """A proposal written through the service (so it has its version 1), in any status."""

    def factory(
        org,
        author,
        *,
        status="submitted",
        title="Retiros 2027",
        body=BODY,
        co_authors=(),
        meeting_id=None,
    ) -> int:
        with app.app_context():
            proposal = service.create_proposal(
                db.session.get(Organisation, org.id),
                db.session.get(User, author.id),
                title=title,
                body=body,
                co_author_ids=[p.id for p in co_authors],
            )
            proposal.status = ProposalStatus(status)
            proposal.meeting_id = meeting_id
            db.session.commit()
            return proposal.id

    return factory


@pytest.fixture
def make_amendment(app):
    def factory(proposal_id, author, body, rationale="") -> int:
        with app.app_context():
            amendment = service.propose_amendment(
                db.session.get(Proposal, proposal_id),
                db.session.get(User, author.id),
                body=body,
                rationale=rationale,
            )
            db.session.commit()
            return amendment.id

    return factory


def count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def stored(app, proposal_id) -> dict:
    with app.app_context():
        p = db.session.get(Proposal, proposal_id)
        return {
            "title": p.title,
            "body": p.body,
            "status": p.status.value,
            "meeting_id": p.meeting_id,
            "agenda_item_id": p.agenda_item_id,
            "authors": service.author_ids(p),
            "versions": [(v.number, v.body, v.amendment_id) for v in service.versions(p)],
        }


def amendment_status(app, amendment_id) -> str:
    with app.app_context():
        return db.session.get(Amendment, amendment_id).status.value


def follow(client, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client.get(response.location, headers=EN).get_data(as_text=True)


def submit(client, url, data=None) -> str:
    """Post as an English-speaking browser, follow the redirect, return the page."""
    return follow(client, client.post_form(url, data, headers=EN))


def url(org, proposal_id, path="/"):
    return f"/o/{org.slug}/proposals/{proposal_id}{path}"


def proposal_form(**overrides) -> dict:
    data = {
        "title": "Retiros 2027",
        "body": BODY,
        "meeting": "",
        "agenda_item": "",
        "version": "",
    }
    data.update(overrides)
    return data


def item_id(app, meeting_id, title):
    with app.app_context():
        return db.session.scalar(
            select(AgendaItem.id).where(
                AgendaItem.meeting_id == meeting_id, AgendaItem.title == title
            )
        )


# --- writing, co-authors, drafts -------------------------------------------------------------


def test_a_member_writes_a_draft_with_a_co_author_and_submits_it(app, client, coop):
    org, people = coop
    client.login(people["member"].email)
    page = client.get(f"/o/{org.slug}/proposals/new").get_data(as_text=True)
    assert "Nueva propuesta" in page and "Coautoras y coautores" in page  # Spanish first
    response = client.post_form(
        f"/o/{org.slug}/proposals/new",
        proposal_form(
            title="  Retiros 2027  ",
            body="Aprobar el **retiro**.\r\n\r\n<script>alert(1)</script>",
            co_authors=[str(people["secretary"].id)],
        ),
    )
    assert response.status_code == 302
    with app.app_context():
        proposal = db.session.scalar(select(Proposal))
        proposal_id = proposal.id
        assert proposal.created_by_id == people["member"].id
    assert response.location == url(org, proposal_id)
    state = stored(app, proposal_id)
    assert state["title"] == "Retiros 2027"
    assert state["status"] == "draft"
    assert state["authors"] == {people["member"].id, people["secretary"].id}
    assert state["body"] == "Aprobar el **retiro**.\n\n<script>alert(1)</script>"
    assert state["versions"] == [(1, state["body"], None)]
    page = client.get(url(org, proposal_id), headers=EN).get_data(as_text=True)
    assert "<strong>retiro</strong>" in page and "<script>alert(1)" not in page
    assert "Member Pérez" in page and "Secretary Pérez" in page
    assert "only its authors see it" in page

    # A draft is for its authors (and admins) only.
    listing = client.get(f"/o/{org.slug}/proposals", headers=EN).get_data(as_text=True)
    assert "Retiros 2027" in listing
    client.logout()
    client.login(people["facilitator"].email)
    assert client.get(url(org, proposal_id)).status_code == 404
    assert client.get(url(org, proposal_id, "/history")).status_code == 404
    assert client.post_form(url(org, proposal_id, "/support")).status_code == 404
    listing = client.get(f"/o/{org.slug}/proposals", headers=EN).get_data(as_text=True)
    assert "Retiros 2027" not in listing
    client.logout()
    client.login(people["admin"].email)
    assert client.get(url(org, proposal_id)).status_code == 200
    assert "Retiros 2027" in client.get(f"/o/{org.slug}/proposals").get_data(as_text=True)
    client.logout()

    # The co-author submits it; now every member sees it.
    client.login(people["secretary"].email)
    page = submit(client, url(org, proposal_id, "/submit"))
    assert "every member can now read and support it" in page
    assert stored(app, proposal_id)["status"] == "submitted"
    client.logout()
    client.login(people["facilitator"].email)
    page = client.get(url(org, proposal_id), headers=EN).get_data(as_text=True)
    assert "Retiros 2027" in page and "Submitted" in page


def test_the_creator_stays_an_author_and_co_authors_can_change(app, client, coop, make_proposal):
    org, people = coop
    proposal_id = make_proposal(org, people["member"], status="draft")
    client.login(people["member"].email)
    page = client.get(url(org, proposal_id, "/edit"), headers=EN).get_data(as_text=True)
    assert (
        'value="Retiros 2027"' in page and "Member Pérez" not in page.split("Co-authors")[1][:900]
    )
    response = client.post_form(
        url(org, proposal_id, "/edit"),
        proposal_form(co_authors=[str(people["admin"].id), str(people["facilitator"].id)]),
    )
    assert response.status_code == 302
    assert stored(app, proposal_id)["authors"] == {
        people["member"].id,
        people["admin"].id,
        people["facilitator"].id,
    }
    client.post_form(url(org, proposal_id, "/edit"), proposal_form())
    assert stored(app, proposal_id)["authors"] == {people["member"].id}


def test_the_list_groups_proposals(app, client, coop, make_proposal):
    org, people = coop
    make_proposal(org, people["member"], status="draft", title="Mi borrador")
    make_proposal(org, people["secretary"], status="scheduled", title="Compra de la prensa")
    make_proposal(org, people["secretary"], status="adopted", title="Balance 2026")
    client.login(people["member"].email)
    page = client.get(f"/o/{org.slug}/proposals", headers=EN).get_data(as_text=True)
    drafts, rest = page.split("Under discussion")
    under, closed = rest.split("Decided or withdrawn")
    assert "Mi borrador" in drafts
    assert "Compra de la prensa" in under and "Scheduled" in under
    assert "Balance 2026" in closed and "Adopted" in closed
    spanish = client.get(f"/o/{org.slug}/proposals").get_data(as_text=True)
    assert "Propuestas" in spanish and "Nueva propuesta" in spanish


def test_the_organisation_pages_have_proposals_and_decisions_tabs(client, coop):
    org, people = coop
    client.login(people["member"].email)
    page = client.get(f"/o/{org.slug}/").get_data(as_text=True)
    assert f'href="/o/{org.slug}/proposals"' in page and "Propuestas" in page
    assert f'href="/o/{org.slug}/decisions"' in page and "Decisiones" in page


# --- the lifecycle ---------------------------------------------------------------------------

ALLOWED = {
    "submit": ({"draft"}, "submitted"),
    "withdraw": ({"draft", "submitted", "scheduled", "postponed"}, "withdrawn"),
    "schedule": ({"submitted", "scheduled", "postponed"}, "scheduled"),
    "postpone": ({"submitted", "scheduled"}, "postponed"),
}


@pytest.mark.parametrize("action", list(ALLOWED))
@pytest.mark.parametrize("status", [s.value for s in ProposalStatus])
def test_the_lifecycle_allows_exactly_its_transitions(
    app, coop, make_meeting, make_proposal, action, status
):
    org, people = coop
    meeting = make_meeting(org, status="convened")
    proposal_id = make_proposal(org, people["member"], status=status)
    allowed, after = ALLOWED[action]
    with app.app_context():
        proposal = db.session.get(Proposal, proposal_id)
        call = {
            "submit": lambda: service.submit(proposal),
            "withdraw": lambda: service.withdraw(proposal),
            "schedule": lambda: service.schedule(proposal, meeting_id=meeting.id),
            "postpone": lambda: service.postpone(proposal),
        }[action]
        if status in allowed:
            call()
            db.session.commit()
        else:
            with pytest.raises(DomainError) as refused:
                call()
            assert refused.value.status == 409
            db.session.rollback()
    assert stored(app, proposal_id)["status"] == (after if status in allowed else status)


def test_schedule_postpone_and_withdraw_through_the_pages(
    app, client, coop, make_meeting, make_proposal
):
    org, people = coop
    meeting = make_meeting(org, status="convened", title="Asamblea de marzo")
    closed = make_meeting(org, status="closed", title="Asamblea vieja")
    retiros = item_id(app, meeting.id, "Retiros 2027")
    proposal_id = make_proposal(org, people["member"])
    client.login(people["facilitator"].email)
    page = client.get(url(org, proposal_id), headers=EN).get_data(as_text=True)
    assert "Asamblea de marzo" in page and "Asamblea vieja" not in page  # closed: not offered
    schedule = url(org, proposal_id, "/schedule")
    assert client.post_form(schedule, {"schedule-meeting": ""}).status_code == 400
    response = client.post_form(schedule, {"schedule-meeting": str(closed.id)}, headers=EN)
    assert response.status_code == 400
    assert "Choose a meeting that is not closed." in response.get_data(as_text=True)
    assert stored(app, proposal_id)["status"] == "submitted"
    page = submit(
        client,
        schedule,
        {"schedule-meeting": str(meeting.id), "schedule-agenda_item": str(retiros)},
    )
    assert "The proposal has been scheduled." in page
    state = stored(app, proposal_id)
    assert (state["status"], state["meeting_id"], state["agenda_item_id"]) == (
        "scheduled",
        meeting.id,
        retiros,
    )
    assert "Asamblea de marzo" in page and "item: Retiros 2027" in page
    page = submit(client, url(org, proposal_id, "/postpone"))
    assert stored(app, proposal_id)["status"] == "postponed"
    page = submit(client, url(org, proposal_id, "/postpone"))
    assert "Only a submitted or scheduled proposal can be postponed." in page
    assert stored(app, proposal_id)["status"] == "postponed"
    submit(client, schedule, {"schedule-meeting": str(meeting.id)})
    assert stored(app, proposal_id)["status"] == "scheduled"
    # Those who prepare meetings do not withdraw other people's proposals.
    assert client.post_form(url(org, proposal_id, "/withdraw")).status_code == 403
    client.logout()

    client.login(people["member"].email)
    # Scheduled: the text now changes only through amendments.
    page = submit(client, url(org, proposal_id, "/edit"), proposal_form(title="Otra cosa"))
    assert "can no longer be edited" in page
    assert stored(app, proposal_id)["title"] == "Retiros 2027"
    assert client.post_form(schedule, {"schedule-meeting": str(meeting.id)}).status_code == 403
    assert client.post_form(url(org, proposal_id, "/postpone")).status_code == 403
    page = submit(client, url(org, proposal_id, "/submit"))
    assert "Only a draft can be submitted." in page
    page = submit(client, url(org, proposal_id, "/withdraw"))
    assert "The proposal has been withdrawn." in page
    assert stored(app, proposal_id)["status"] == "withdrawn"
    page = submit(client, url(org, proposal_id, "/withdraw"))
    assert "can no longer be withdrawn" in page
    assert stored(app, proposal_id)["status"] == "withdrawn"


def test_a_proposal_in_vote_cannot_be_withdrawn_or_postponed(app, client, coop, make_proposal):
    org, people = coop
    proposal_id = make_proposal(org, people["member"], status="in_vote")
    client.login(people["member"].email)
    assert "can no longer be withdrawn" in submit(client, url(org, proposal_id, "/withdraw"))
    client.logout()
    client.login(people["facilitator"].email)
    assert "can be postponed" in submit(client, url(org, proposal_id, "/postpone"))
    assert stored(app, proposal_id)["status"] == "in_vote"


def test_only_authors_edit_submit_and_withdraw(app, client, coop, make_proposal):
    org, people = coop
    proposal_id = make_proposal(org, people["member"])
    before = stored(app, proposal_id)
    for role in ("facilitator", "admin"):
        client.login(people[role].email)
        assert client.get(url(org, proposal_id, "/edit")).status_code == 403
        response = client.post_form(url(org, proposal_id, "/edit"), proposal_form(title="Mío"))
        assert response.status_code == 403
        assert client.post_form(url(org, proposal_id, "/withdraw")).status_code == 403
        assert client.post_form(url(org, proposal_id, "/submit")).status_code == 403
        client.logout()
    assert stored(app, proposal_id) == before


def test_authors_link_a_meeting_and_item_among_open_meetings(
    app, client, coop, make_meeting, make_org
):
    org, people = coop
    convened = make_meeting(org, status="convened", title="Asamblea de abril")
    draft = make_meeting(org, status="draft", title="Borrador de reunión")
    other = make_meeting(org, status="convened", title="Otra asamblea")
    foreign = make_meeting(make_org("Otra cooperativa"), status="convened")
    item = item_id(app, convened.id, "Retiros 2027")
    client.login(people["member"].email)
    page = client.get(f"/o/{org.slug}/proposals/new", headers=EN).get_data(as_text=True)
    assert "Asamblea de abril" in page and "Borrador de reunión" not in page
    new = f"/o/{org.slug}/proposals/new"
    # Forged: another organisation's meeting or item, or a draft this member cannot see.
    assert client.post_form(new, proposal_form(meeting=str(foreign.id))).status_code == 404
    foreign_item = item_id(app, foreign.id, "Retiros 2027")
    assert client.post_form(new, proposal_form(agenda_item=str(foreign_item))).status_code == 404
    assert client.post_form(new, proposal_form(meeting=str(draft.id))).status_code == 404
    assert client.post_form(new, proposal_form(meeting="99999999999999999999")).status_code == 400
    response = client.post_form(
        new, proposal_form(meeting=str(other.id), agenda_item=str(item)), headers=EN
    )
    assert response.status_code == 400
    assert "Choose an item of that meeting" in response.get_data(as_text=True)
    assert count(app, Proposal) == 0
    # An item alone names its meeting.
    assert client.post_form(new, proposal_form(agenda_item=str(item))).status_code == 302
    with app.app_context():
        proposal = db.session.scalar(select(Proposal))
        assert (proposal.meeting_id, proposal.agenda_item_id) == (convened.id, item)
        assert proposal.status == ProposalStatus.DRAFT


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, None),
        ({"title": "   "}, None),
        ({"title": "x" * 201}, "200"),
        ({"body": ""}, None),
        ({"body": "x" * (service.BODY_MAX + 1)}, None),
        ({"co_authors": ["abc"]}, None),
        ({"meeting": "uno"}, "Choose one of the options offered."),
        ({"agenda_item": "-3"}, "Choose one of the options offered."),
    ],
)
def test_bad_proposal_input_is_a_form_error(app, client, coop, overrides, message):
    org, people = coop
    client.login(people["member"].email)
    response = client.post_form(
        f"/o/{org.slug}/proposals/new", proposal_form(**overrides), headers=EN
    )
    assert response.status_code == 400
    if message:
        assert message in response.get_data(as_text=True)
    assert count(app, Proposal) == 0
    assert count(app, ProposalVersion) == 0


def test_co_authors_are_active_members(app, client, coop, make_user, make_org):
    org, people = coop
    outsider = make_user()
    make_org("Otra", members={outsider: "member"})
    client.login(people["member"].email)
    response = client.post_form(
        f"/o/{org.slug}/proposals/new", proposal_form(co_authors=[str(outsider.id)])
    )
    assert response.status_code == 400
    assert count(app, Proposal) == 0
    with app.app_context(), pytest.raises(service.NotAMember):
        service.create_proposal(
            db.session.get(Organisation, org.id),
            db.session.get(User, people["member"].id),
            title="T",
            body="B",
            co_author_ids=[outsider.id],
        )


def test_over_long_edits_change_nothing(app, client, coop, make_proposal):
    org, people = coop
    proposal_id = make_proposal(org, people["member"])
    before = stored(app, proposal_id)
    client.login(people["member"].email)
    for data in (
        proposal_form(title="x" * 201),
        proposal_form(body="x" * (service.BODY_MAX + 1)),
        proposal_form(version="dos"),
    ):
        assert client.post_form(url(org, proposal_id, "/edit"), data).status_code == 400
    assert stored(app, proposal_id) == before


# --- versions and their diffs ----------------------------------------------------------------


def test_word_diff_marks_insertions_and_deletions_and_escapes_everything():
    diff = service.word_diff("pagar <b>10</b> pesos & más", "pagar <i>12</i> pesos & más")
    assert str(diff) == (
        "pagar <del>&lt;b&gt;10&lt;/b&gt;</del><ins>&lt;i&gt;12&lt;/i&gt;</ins> pesos &amp; más"
    )
    assert str(service.word_diff("uno dos", "uno dos tres")) == "uno dos<ins> tres</ins>"
    assert str(service.word_diff("uno dos tres", "uno tres")) == "uno <del>dos </del>tres"
    assert str(service.word_diff("", "")) == ""


def test_edits_after_submission_are_new_versions_with_a_history(app, client, coop, make_proposal):
    org, people = coop
    proposal_id = make_proposal(org, people["member"], status="draft", body="Texto inicial.")
    client.login(people["member"].email)
    edit = url(org, proposal_id, "/edit")
    # A draft's edits stay its version 1: nobody else has read it.
    client.post_form(edit, proposal_form(body="Texto del borrador."))
    assert stored(app, proposal_id)["versions"] == [(1, "Texto del borrador.", None)]
    client.post_form(url(org, proposal_id, "/submit"))
    # After submission every changed text is a new version; an unchanged one is not.
    client.post_form(edit, proposal_form(body="Texto del borrador.", version="1", co_authors=[]))
    assert len(stored(app, proposal_id)["versions"]) == 1
    response = client.post_form(
        edit,
        proposal_form(
            title="Retiros 2028", body="Texto <em>corregido</em> del borrador.", version="1"
        ),
    )
    assert response.status_code == 302
    state = stored(app, proposal_id)
    assert state["versions"][-1] == (2, "Texto <em>corregido</em> del borrador.", None)
    with app.app_context():
        second = service.version(db.session.get(Proposal, proposal_id), 2)
        assert second.created_by_id == people["member"].id and second.title == "Retiros 2028"
        assert isinstance(second.created_at, datetime)
    # An edit started on version 1 does not overwrite version 2.
    response = client.post_form(edit, proposal_form(body="Pisado.", version="1"), headers=EN)
    assert response.status_code == 409
    assert "changed while you were editing" in response.get_data(as_text=True)
    assert stored(app, proposal_id)["body"] == "Texto <em>corregido</em> del borrador."

    page = client.get(url(org, proposal_id, "/history"), headers=EN).get_data(as_text=True)
    assert "Version 2" in page and "Version 1" in page
    assert "Texto<ins> &lt;em&gt;corregido&lt;/em&gt;</ins> del borrador." in page
    assert "Retiros <del>2027</del><ins>2028</ins>" in page
    assert "<em>corregido</em>" in page  # the whole text, rendered as sanitised Markdown
    assert "<ins><em>" not in page


def test_the_history_is_visible_to_every_member(client, coop, make_proposal):
    org, people = coop
    proposal_id = make_proposal(org, people["member"])
    client.login(people["secretary"].email)
    page = client.get(url(org, proposal_id, "/history"), headers=EN).get_data(as_text=True)
    assert "Version 1" in page and "first text" in page


# --- support ---------------------------------------------------------------------------------


def test_support_and_withdrawing_it(app, client, coop, make_proposal):
    org, people = coop
    proposal_id = make_proposal(org, people["member"])
    supporters = ProposalSupporter.proposal_id == proposal_id
    client.login(people["secretary"].email)
    page = client.get(url(org, proposal_id)).get_data(as_text=True)
    assert "Apoyar" in page
    page = submit(client, url(org, proposal_id, "/support"))
    assert "You support this proposal." in page and "Secretary Pérez" in page
    assert "Withdraw my support" in page
    page = submit(client, url(org, proposal_id, "/support"))
    assert "You already support this proposal." in page
    assert count(app, ProposalSupporter, supporters) == 1
    submit(client, url(org, proposal_id, "/unsupport"))
    assert count(app, ProposalSupporter, supporters) == 0
    page = submit(client, url(org, proposal_id, "/unsupport"))
    assert "You do not support this proposal." in page
    client.logout()
    client.login(people["member"].email)  # the author
    page = submit(client, url(org, proposal_id, "/support"))
    assert "Authors already stand behind their proposal" in page
    assert count(app, ProposalSupporter, supporters) == 0


def test_a_second_support_that_races_the_first_is_refused_gracefully(
    app, client, coop, make_proposal, monkeypatch
):
    org, people = coop
    proposal_id = make_proposal(org, people["member"])
    with app.app_context():
        db.session.add(ProposalSupporter(proposal_id=proposal_id, user_id=people["admin"].id))
        db.session.commit()
    client.login(people["admin"].email)
    # As if the first click had not been committed yet when the second one checked.
    monkeypatch.setattr(service, "is_supporter", lambda proposal, user: False)
    page = submit(client, url(org, proposal_id, "/support"))
    assert "You already support this proposal." in page
    assert count(app, ProposalSupporter, ProposalSupporter.proposal_id == proposal_id) == 1


@pytest.mark.parametrize("status", ["draft", "withdrawn", "adopted", "rejected", "in_vote"])
def test_support_only_while_the_proposal_is_open(app, client, coop, make_proposal, status):
    org, people = coop
    proposal_id = make_proposal(org, people["member"], status=status)
    client.login(people["admin"].email)  # admins see drafts too
    page = submit(client, url(org, proposal_id, "/support"))
    assert "Support can only be given" in page
    assert count(app, ProposalSupporter) == 0


# --- deliberation ----------------------------------------------------------------------------


def test_comments_newest_last_with_their_authors(app, client, coop, make_proposal):
    org, people = coop
    proposal_id = make_proposal(org, people["member"])
    comments = url(org, proposal_id, "/comments")
    client.login(people["secretary"].email)
    submit(client, comments, {"comment-body": "Primero: **de acuerdo**."})
    client.logout()
    client.login(people["facilitator"].email)
    page = submit(
        client,
        comments,
        {"comment-body": "Segundo <script>alert(1)</script> [x](javascript:alert(2))"},
    )
    assert "Your comment has been added." in page
    first, second = page.index("Primero"), page.index("Segundo")
    assert first < second
    assert "<strong>de acuerdo</strong>" in page
    assert "<script>alert(1)" not in page and "javascript:" not in page
    assert "Secretary Pérez" in page[:second] and "Facilitator Pérez" in page[first:]
    for data in ({"comment-body": ""}, {"comment-body": "x" * (service.COMMENT_MAX + 1)}):
        assert client.post_form(comments, data).status_code == 400
    assert count(app, ProposalComment) == 2


def test_comments_are_taken_back_only_by_their_writer(app, client, coop, make_proposal):
    org, people = coop
    proposal_id = make_proposal(org, people["member"])
    other_id = make_proposal(org, people["member"], title="Otra")
    with app.app_context():
        mine = service.add_comment(
            db.session.get(Proposal, proposal_id), db.session.get(User, people["member"].id), "A"
        )
        theirs = service.add_comment(
            db.session.get(Proposal, proposal_id), db.session.get(User, people["admin"].id), "B"
        )
        elsewhere = service.add_comment(
            db.session.get(Proposal, other_id), db.session.get(User, people["member"].id), "C"
        )
        db.session.commit()
        mine, theirs, elsewhere = mine.id, theirs.id, elsewhere.id
    client.login(people["member"].email)
    assert client.post_form(url(org, proposal_id, f"/comments/{theirs}/delete")).status_code == 403
    forged = url(org, proposal_id, f"/comments/{elsewhere}/delete")
    assert client.post_form(forged).status_code == 404
    assert client.post_form(url(org, proposal_id, "/comments/999999/delete")).status_code == 404
    page = submit(client, url(org, proposal_id, f"/comments/{mine}/delete"))
    assert "Your comment has been removed." in page
    assert count(app, ProposalComment) == 2


@pytest.mark.parametrize("status", ["withdrawn", "adopted", "rejected"])
def test_no_comments_on_a_closed_proposal(app, client, coop, make_proposal, status):
    org, people = coop
    proposal_id = make_proposal(org, people["member"], status=status)
    client.login(people["secretary"].email)
    page = client.get(url(org, proposal_id), headers=EN).get_data(as_text=True)
    assert "The deliberation is closed" in page and 'name="comment-body"' not in page
    page = submit(client, url(org, proposal_id, "/comments"), {"comment-body": "Tarde"})
    assert "closed to comments" in page
    assert count(app, ProposalComment) == 0
    with app.app_context(), pytest.raises(service.CommentsClosed):
        service.add_comment(
            db.session.get(Proposal, proposal_id),
            db.session.get(User, people["secretary"].id),
            "Tarde",
        )


# --- amendments ------------------------------------------------------------------------------


def test_an_amendment_is_shown_as_a_diff_and_accepted_by_the_authors(
    app, client, coop, make_proposal
):
    org, people = coop
    proposal_id = make_proposal(
        org, people["member"], body="Retiro de $500.000 por persona <b>al mes</b>."
    )
    client.login(people["secretary"].email)
    page = client.get(url(org, proposal_id), headers=EN).get_data(as_text=True)
    assert 'name="amend-base_version" type="hidden" value="1"' in page
    page = submit(
        client,
        url(org, proposal_id, "/amendments"),
        {
            "amend-body": "Retiro de $600.000 por persona <b>al mes</b>.",
            "amend-rationale": "La *inflación*.",
            "amend-base_version": "1",
        },
    )
    assert "Your amendment has been proposed." in page
    assert "<del>$500.000</del><ins>$600.000</ins> por persona &lt;b&gt;al mes&lt;/b&gt;." in page
    assert "<em>inflación</em>" in page
    assert "Accept and merge" not in page  # the amender is not an author
    with app.app_context():
        amendment = db.session.scalar(select(Amendment))
        amendment_id = amendment.id
        assert amendment.base_version == 1 and amendment.author_id == people["secretary"].id
    accept = url(org, proposal_id, f"/amendments/{amendment_id}/accept")
    assert client.post_form(accept).status_code == 403
    assert (
        client.post_form(url(org, proposal_id, f"/amendments/{amendment_id}/reject")).status_code
        == 403
    )
    client.logout()

    client.login(people["member"].email)
    page = client.get(url(org, proposal_id), headers=EN).get_data(as_text=True)
    assert "Accept and merge" in page
    page = submit(client, accept)
    assert "the text is now version 2" in page
    state = stored(app, proposal_id)
    assert state["body"] == "Retiro de $600.000 por persona <b>al mes</b>."
    assert state["versions"][-1] == (2, state["body"], amendment_id)
    assert amendment_status(app, amendment_id) == "accepted"
    with app.app_context():
        assert db.session.get(Amendment, amendment_id).decided_at is not None
        assert service.version(db.session.get(Proposal, proposal_id), 2).created_by_id == (
            people["member"].id
        )
    page = submit(client, accept)
    assert "already been dealt with" in page
    assert len(stored(app, proposal_id)["versions"]) == 2
    history = client.get(url(org, proposal_id, "/history"), headers=EN).get_data(as_text=True)
    assert "merged amendment" in history and f"#amendment-{amendment_id}" in history


def test_amendments_rejected_by_authors_and_withdrawn_by_their_author(
    app, client, coop, make_proposal, make_amendment
):
    org, people = coop
    proposal_id = make_proposal(org, people["member"])
    rejected = make_amendment(proposal_id, people["secretary"], "Otro texto.")
    withdrawn = make_amendment(proposal_id, people["secretary"], "Otro texto más.")
    client.login(people["facilitator"].email)
    assert (
        client.post_form(url(org, proposal_id, f"/amendments/{withdrawn}/withdraw")).status_code
        == 403
    )
    client.logout()
    client.login(people["member"].email)
    page = submit(client, url(org, proposal_id, f"/amendments/{rejected}/reject"))
    assert "The amendment has been rejected." in page
    assert (
        client.post_form(url(org, proposal_id, f"/amendments/{withdrawn}/withdraw")).status_code
        == 403
    )
    client.logout()
    client.login(people["secretary"].email)
    page = submit(client, url(org, proposal_id, f"/amendments/{withdrawn}/withdraw"))
    assert "Your amendment has been withdrawn." in page
    assert amendment_status(app, rejected) == "rejected"
    assert amendment_status(app, withdrawn) == "withdrawn"
    page = submit(client, url(org, proposal_id, f"/amendments/{rejected}/withdraw"))
    assert "already been dealt with" in page
    assert stored(app, proposal_id)["body"] == BODY
    assert "Amendments already dealt with (2)" in page


def test_a_stale_amendment_cannot_be_accepted(app, client, coop, make_proposal, make_amendment):
    org, people = coop
    proposal_id = make_proposal(org, people["member"], body="Uno dos tres.")
    first = make_amendment(proposal_id, people["secretary"], "Uno dos tres cuatro.")
    second = make_amendment(proposal_id, people["admin"], "Cero uno dos tres.")
    client.login(people["member"].email)
    submit(client, url(org, proposal_id, f"/amendments/{first}/accept"))
    page = client.get(url(org, proposal_id), headers=EN).get_data(as_text=True)
    assert "it can no longer be accepted" in page
    page = submit(client, url(org, proposal_id, f"/amendments/{second}/accept"))
    assert "has changed since it was written" in page
    assert "Propose a new amendment on the current text." in page
    assert amendment_status(app, second) == "proposed"
    assert stored(app, proposal_id)["body"] == "Uno dos tres cuatro."
    assert len(stored(app, proposal_id)["versions"]) == 2


def test_an_amendment_on_an_older_version_merges_if_its_text_did_not_change(
    app, client, coop, make_proposal, make_amendment
):
    org, people = coop
    proposal_id = make_proposal(org, people["member"], body="Uno dos tres.")
    amendment = make_amendment(proposal_id, people["secretary"], "Uno dos.")
    client.login(people["member"].email)
    # Only the title changes: version 2, same body.
    client.post_form(
        url(org, proposal_id, "/edit"),
        proposal_form(title="Nuevo título", body="Uno dos tres.", version="1"),
    )
    assert len(stored(app, proposal_id)["versions"]) == 2
    page = submit(client, url(org, proposal_id, f"/amendments/{amendment}/accept"))
    assert "the text is now version 3" in page
    state = stored(app, proposal_id)
    assert state["body"] == "Uno dos." and state["title"] == "Nuevo título"


def test_proposing_an_amendment_on_a_text_that_changed_meanwhile(
    app, client, coop, make_proposal, make_amendment
):
    org, people = coop
    proposal_id = make_proposal(org, people["member"], body="Uno dos tres.")
    first = make_amendment(proposal_id, people["admin"], "Uno dos tres cuatro.")
    with app.app_context():
        service.merge_amendment(db.session.get(Amendment, first), None)
        db.session.commit()
    client.login(people["secretary"].email)
    response = client.post_form(
        url(org, proposal_id, "/amendments"),
        {"amend-body": "Uno tres.", "amend-base_version": "1"},
        headers=EN,
    )
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "changed while you were writing (it is now version 2)" in page
    assert 'name="amend-base_version" type="hidden" value="2"' in page
    assert "Uno tres.</textarea>" in page  # what they wrote is kept
    assert count(app, Amendment) == 1


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"amend-body": "", "amend-base_version": "1"}, 400),
        ({"amend-body": "x" * (service.BODY_MAX + 1), "amend-base_version": "1"}, 400),
        ({"amend-body": "Otro", "amend-base_version": "1", "amend-rationale": "x" * 5001}, 400),
        ({"amend-body": "Otro", "amend-base_version": ""}, 400),
        ({"amend-body": "Otro", "amend-base_version": "uno"}, 400),
        ({"amend-body": "Otro", "amend-base_version": "7"}, 400),
        ({"amend-body": BODY, "amend-base_version": "1"}, 400),  # changes nothing
    ],
)
def test_bad_amendments(app, client, coop, make_proposal, data, status):
    org, people = coop
    proposal_id = make_proposal(org, people["member"])
    client.login(people["secretary"].email)
    assert client.post_form(url(org, proposal_id, "/amendments"), data).status_code == status
    assert count(app, Amendment) == 0


@pytest.mark.parametrize("status", ["draft", "in_vote", "adopted", "rejected", "withdrawn"])
def test_amendments_only_while_the_proposal_is_open(app, client, coop, make_proposal, status):
    org, people = coop
    proposal_id = make_proposal(org, people["member"], status=status)
    client.login(people["member"].email)
    page = submit(
        client,
        url(org, proposal_id, "/amendments"),
        {"amend-body": "Otro texto.", "amend-base_version": "1"},
    )
    assert "Amendments are only possible" in page
    assert count(app, Amendment) == 0


def test_merge_amendment_for_the_voting_side(app, coop, make_proposal, make_amendment):
    org, people = coop
    proposal_id = make_proposal(org, people["member"], status="scheduled", body="Uno.")
    amendment_id = make_amendment(proposal_id, people["secretary"], "Uno y dos.")
    with app.app_context():
        amendment = db.session.get(Amendment, amendment_id)
        merged = service.merge_amendment(amendment, None)  # adopted by a poll: nobody in person
        db.session.commit()
        assert (merged.number, merged.amendment_id, merged.created_by_id) == (2, amendment_id, None)
        assert merged.body == "Uno y dos."
        proposal = db.session.get(Proposal, proposal_id)
        assert proposal.body == "Uno y dos." and proposal.status == ProposalStatus.SCHEDULED
        assert amendment.status == AmendmentStatus.ACCEPTED
        with pytest.raises(service.AmendmentDecided):
            service.merge_amendment(amendment, None)
        later = service.propose_amendment(
            proposal, db.session.get(User, people["admin"].id), body="Tres."
        )
        proposal.status = ProposalStatus.WITHDRAWN
        with pytest.raises(service.AmendmentsClosed):
            service.merge_amendment(later, None)
        db.session.rollback()
    assert len(stored(app, proposal_id)["versions"]) == 2


# --- forged ids and outsiders ----------------------------------------------------------------


def test_another_organisations_ids_are_not_found(
    app, client, coop, make_org, make_proposal, make_amendment
):
    org, people = coop
    other = make_org("Otra cooperativa", members={people["member"]: "member"})
    foreign = make_proposal(other, people["member"])
    foreign_amendment = make_amendment(foreign, people["member"], "Otro texto.")
    mine = make_proposal(org, people["member"])
    client.login(people["member"].email)
    assert client.get(url(other, foreign)).status_code == 200
    for path in ("/", "/edit", "/history"):
        assert client.get(url(org, foreign, path)).status_code == 404, path
    for path in (
        "/edit",
        "/submit",
        "/withdraw",
        "/schedule",
        "/postpone",
        "/support",
        "/unsupport",
        "/comments",
        "/amendments",
        f"/amendments/{foreign_amendment}/withdraw",
    ):
        assert client.post_form(url(org, foreign, path)).status_code == 404, path
    # Another proposal's amendment, through one's own proposal.
    for action in ("accept", "reject", "withdraw"):
        forged = url(org, mine, f"/amendments/{foreign_amendment}/{action}")
        assert client.post_form(forged).status_code == 404
    assert client.get(url(org, 99999999999999999999)).status_code == 404
    assert client.get(f"/o/no-such-organisation/proposals/{mine}/").status_code == 404
    assert amendment_status(app, foreign_amendment) == "proposed"


def test_a_preparer_cannot_schedule_onto_another_organisations_meeting(
    app, client, coop, make_org, make_meeting, make_proposal
):
    org, people = coop
    foreign = make_meeting(make_org("Otra cooperativa"), status="convened")
    foreign_item = item_id(app, foreign.id, "Retiros 2027")
    proposal_id = make_proposal(org, people["member"])
    client.login(people["facilitator"].email)
    schedule = url(org, proposal_id, "/schedule")
    assert client.post_form(schedule, {"schedule-meeting": str(foreign.id)}).status_code == 404
    data = {"schedule-meeting": "", "schedule-agenda_item": str(foreign_item)}
    assert client.post_form(schedule, data).status_code == 400
    assert stored(app, proposal_id)["status"] == "submitted"


def test_outsiders_get_404_everywhere(app, client, coop, make_user, make_proposal):
    org, people = coop
    proposal_id = make_proposal(org, people["member"])
    client.login(make_user().email)
    for path in ("/o/{s}/proposals", "/o/{s}/proposals/new", "/o/{s}/decisions"):
        assert client.get(path.format(s=org.slug)).status_code == 404, path
    assert client.post_form(f"/o/{org.slug}/proposals/new", proposal_form()).status_code == 404
    for path in ("/", "/edit", "/history"):
        assert client.get(url(org, proposal_id, path)).status_code == 404, path
    for path in ("/edit", "/submit", "/withdraw", "/schedule", "/postpone", "/support"):
        assert client.post_form(url(org, proposal_id, path)).status_code == 404, path
    for path in ("/unsupport", "/comments", "/amendments", "/amendments/1/accept"):
        assert client.post_form(url(org, proposal_id, path)).status_code == 404, path
    assert count(app, Proposal) == 1


def test_forms_without_their_token_change_nothing(app, client, coop, make_proposal):
    org, people = coop
    proposal_id = make_proposal(org, people["member"])
    client.login(people["secretary"].email)
    response = client.post(url(org, proposal_id, "/support"), data={})
    assert response.status_code == 400
    assert count(app, ProposalSupporter) == 0


# --- the decision register -------------------------------------------------------------------


@pytest.fixture
def register(app, coop, make_org, make_meeting):
    org, people = coop
    meeting = make_meeting(org, status="closed", title="Asamblea de diciembre")
    other = make_org("Otra cooperativa")
    with app.app_context():
        rows = [
            Decision(
                organisation_id=org.id,
                meeting_id=meeting.id,
                title="Balance 2026",
                text="Se aprueba el **balance** <script>alert(1)</script>.",
                decided_at=datetime(2026, 12, 10, 21, 0),
                tally={
                    "counts": {"yes": 12, "no": 3, "abstain": 1},
                    "outcome": "adopted",
                    "voted": 16,
                    "eligible": 18,
                },
            ),
            Decision(
                organisation_id=org.id,
                title="Compra de la prensa plegadora",
                text="Comprar la máquina con el fondo de reinversión.",
                decided_at=datetime(2027, 3, 5, 21, 0),
                tally={"counts": {"agree": 9, "stand_aside": 1, "object": 0}, "outcome": "adopted"},
            ),
            Decision(
                organisation_id=org.id,
                title="Retiros",
                text="Actualización de RETIROS según la paritaria.",
                decided_at=datetime(2025, 6, 1, 21, 0),
                tally={},
            ),
            Decision(
                organisation_id=other.id,
                title="Decisión ajena",
                text="No se ve.",
                tally={"counts": {"yes": 1}, "outcome": "adopted"},
            ),
        ]
        db.session.add_all(rows)
        db.session.commit()
    return org, people


def test_the_register_lists_every_decision_newest_first(client, register):
    org, people = register
    client.login(people["member"].email)
    page = client.get(f"/o/{org.slug}/decisions", headers=EN).get_data(as_text=True)
    assert "Register of decisions" in page
    prensa, balance, retiros = (
        page.index("Compra de la prensa plegadora"),
        page.index("Balance 2026"),
        page.index("Actualización de RETIROS"),
    )
    assert prensa < balance < retiros
    assert "Decisión ajena" not in page
    assert "Asamblea de diciembre" in page
    assert "<strong>balance</strong>" in page and "<script>alert(1)" not in page
    section = page[balance:retiros]
    assert "Adopted" in section and "In favour" in section and "12" in section
    assert "Against" in section and "Abstentions" in section
    assert "16 of 18" in section
    assert "Stand-asides" in page[prensa:balance] and "Objections" in page[prensa:balance]
    assert "data-print" in page
    spanish = client.get(f"/o/{org.slug}/decisions").get_data(as_text=True)
    assert "Registro de decisiones" in spanish and "Aprobada" in spanish


@pytest.mark.parametrize(
    ("query", "titles"),
    [
        ("retiros", ["Retiros"]),
        ("BALANCE", ["Balance 2026"]),
        ("maquina", ["Compra de la prensa plegadora"]),  # accents do not matter
        ("reinversión", ["Compra de la prensa plegadora"]),
        ("  se aprueba  ", ["Balance 2026"]),
        ("%", []),
        ("ajena", []),
    ],
)
def test_the_register_filter(client, register, query, titles):
    org, people = register
    client.login(people["secretary"].email)
    response = client.get(f"/o/{org.slug}/decisions", query_string={"q": query}, headers=EN)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for title in ("Balance 2026", "Compra de la prensa plegadora", "Retiros"):
        assert (f"<h3>{title}</h3>" in page) == (title in titles), title
    if not titles:
        assert "No decision contains" in page


def test_the_register_filter_takes_a_long_query_calmly(client, register):
    org, people = register
    client.login(people["member"].email)
    response = client.get(f"/o/{org.slug}/decisions", query_string={"q": "<b>x</b>" * 500})
    assert response.status_code == 200
    assert "<b>x</b>" not in response.get_data(as_text=True)


def test_an_empty_register(client, coop):
    org, people = coop
    client.login(people["member"].email)
    page = client.get(f"/o/{org.slug}/decisions", headers=EN).get_data(as_text=True)
    assert "No decisions recorded yet." in page


def test_an_adopted_proposal_in_the_register_links_back(app, client, coop, make_proposal):
    org, people = coop
    proposal_id = make_proposal(org, people["member"], status="adopted", title="Fondo solidario")
    with app.app_context():
        db.session.add(
            Decision(
                organisation_id=org.id,
                proposal_id=proposal_id,
                title="Fondo solidario",
                text=BODY,
                tally={"counts": {"yes": 3, "no": 0, "abstain": 0}, "outcome": "adopted"},
            )
        )
        db.session.commit()
    client.login(people["secretary"].email)
    page = client.get(f"/o/{org.slug}/decisions", headers=EN).get_data(as_text=True)
    assert f'href="{url(org, proposal_id)}"' in page


def test_authors_rows_are_kept_consistent(app, coop, make_proposal):
    org, people = coop
    proposal_id = make_proposal(org, people["member"], co_authors=[people["secretary"]])
    assert count(app, ProposalAuthor, ProposalAuthor.proposal_id == proposal_id) == 2


def test_a_proposal_written_elsewhere_gets_its_first_version(app, client, coop):
    org, people = coop
    with app.app_context():
        proposal = Proposal(
            organisation_id=org.id,
            title="Hecha por un script",
            body="Uno dos.",
            status="submitted",
            created_by_id=people["member"].id,
        )
        db.session.add(proposal)
        db.session.commit()
        proposal_id = proposal.id
    client.login(people["secretary"].email)
    page = client.get(url(org, proposal_id, "/history"), headers=EN).get_data(as_text=True)
    assert "Version 1" in page
    page = submit(
        client,
        url(org, proposal_id, "/amendments"),
        {"amend-body": "Uno dos tres.", "amend-base_version": "1"},
    )
    assert "Uno <del>dos.</del><ins>dos tres.</ins>" in page
    assert [number for number, _body, _a in stored(app, proposal_id)["versions"]] == [1]
