from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from assembly.accounts.models import EMAIL_MAX
from assembly.core.forms import strip
from assembly.core.labels import choices
from assembly.organisations.models import MinutesReaders, OrganisationKind, Role
from assembly.organisations.service import PROXIES_MAX, PROXIES_MIN, QUORUM_MAX, QUORUM_MIN

NAME_MAX = 160
DESCRIPTION_MAX = 5000


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=NAME_MAX)])
    kind = SelectField(_l("Kind"), choices=lambda: choices(OrganisationKind))
    description = TextAreaField(
        _l("Description (Markdown)"), validators=[Optional(), Length(max=DESCRIPTION_MAX)]
    )


class OrganisationEditForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=NAME_MAX)])
    description = TextAreaField(
        _l("Description (Markdown)"), validators=[Optional(), Length(max=DESCRIPTION_MAX)]
    )
    # The meeting rules. A field left out of the request keeps its value; an empty one is an error.
    quorum_percent = IntegerField(
        _l("Quorum (per cent of members present)"),
        validators=[
            NumberRange(
                min=QUORUM_MIN,
                max=QUORUM_MAX,
                message=_l("Enter a whole number between %(min)s and %(max)s."),
            )
        ],
    )
    max_proxies = IntegerField(
        _l("Proxies one member may hold"),
        validators=[
            NumberRange(
                min=PROXIES_MIN,
                max=PROXIES_MAX,
                message=_l("Enter a whole number between %(min)s and %(max)s."),
            )
        ],
    )

    # Networks only (the view drops it for other organisations).
    minutes_readers = SelectField(
        _l("Who reads the network's approved minutes"),
        choices=[
            (
                MinutesReaders.DELEGATES.value,
                _l("The network's members and the delegates of its member organisations"),
            ),
            (
                MinutesReaders.MEMBER_ORGANISATIONS.value,
                _l("Also every member of its member organisations"),
            ),
        ],
    )


class InviteForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), Length(max=EMAIL_MAX), Email(check_deliverability=False)],
        filters=[strip],
    )
    role = SelectField(_l("Role"), choices=lambda: choices(Role), default=Role.MEMBER.value)


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=lambda: choices(Role))


class AddNetworkMemberForm(FlaskForm):
    """Either one of the organisations the admin also administers, or a new one by name."""

    existing = SelectField(_l("An organisation you administer"), validators=[Optional()])
    new_name = StringField(
        _l("Or a new organisation's name"), validators=[Optional(), Length(max=NAME_MAX)]
    )
    new_kind = SelectField(
        _l("Its kind"),
        choices=lambda: choices(OrganisationKind),
        default=OrganisationKind.WORKER_COOPERATIVE.value,
    )


class DelegateForm(FlaskForm):
    network_membership = HiddenField(validators=[DataRequired()])
    person = SelectField(_l("Delegate"), validators=[DataRequired()])
