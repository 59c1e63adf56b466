"""The permission table, read as a whole: what each standing may do."""

import pytest
from werkzeug.exceptions import Forbidden, NotFound

from assembly.accounts.models import User
from assembly.extensions import db
from assembly.organisations.models import Organisation
from assembly.permissions import Action, authorise, can

EVERYONE = {
    Action.VIEW,
    Action.VIEW_DIRECTORY,
    Action.VIEW_MEETINGS,
    Action.TAKE_PART,
    Action.PROPOSE_AGENDA_ITEM,
    Action.PROPOSE,
}
EXPECTED = {
    "member": EVERYONE,
    "facilitator": EVERYONE
    | {
        Action.PREPARE_MEETINGS,
        Action.RUN_MEETINGS,
        Action.RECORD_ATTENDANCE,
        Action.GROUP_CARDS,
        Action.MANAGE_PROCESSES,
        Action.MANAGE_COMMITMENTS,
        Action.EDIT_MINUTES,
    },
    "secretary": EVERYONE
    | {
        Action.VIEW_MEMBER_HISTORY,
        Action.PREPARE_MEETINGS,
        Action.RECORD_ATTENDANCE,
        Action.GROUP_CARDS,
        Action.MANAGE_PROCESSES,
        Action.MANAGE_COMMITMENTS,
        Action.EDIT_MINUTES,
        Action.NAME_MINUTES_APPROVERS,
    },
    "admin": set(Action),
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_may_do_exactly_its_actions(app, coop, role):
    org, people = coop
    with app.test_request_context():
        user = db.session.get(User, people[role].id)
        organisation = db.session.get(Organisation, org.id)
        allowed = {action for action in Action if can(user, action, organisation)}
        assert allowed == EXPECTED[role]
        for action in set(Action) - allowed:
            with pytest.raises(Forbidden):
                authorise(user, action, organisation)


def test_outsiders_and_anonymous_get_not_found(app, coop, make_user):
    from flask_login import AnonymousUserMixin

    org, _people = coop
    outsider = make_user()
    with app.test_request_context():
        organisation = db.session.get(Organisation, org.id)
        for user in (db.session.get(User, outsider.id), AnonymousUserMixin(), None):
            for action in Action:
                assert not can(user, action, organisation)
                with pytest.raises(NotFound):
                    authorise(user, action, organisation)
        with pytest.raises(NotFound):
            authorise(db.session.get(User, outsider.id), Action.VIEW, None)
