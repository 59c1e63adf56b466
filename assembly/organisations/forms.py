from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from assembly.accounts.models import EMAIL_MAX
from assembly.core.forms import strip
from assembly.core.labels import choices
from assembly.organisations.models import OrganisationKind, Role

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


class InviteForm(FlaskForm):
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), Length(max=EMAIL_MAX), Email(check_deliverability=False)],
        filters=[strip],
    )
    role = SelectField(_l("Role"), choices=lambda: choices(Role), default=Role.MEMBER.value)


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=lambda: choices(Role))


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token travels."""


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
