from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget

from assembly.core.forms import strip


class MinutesForm(FlaskForm):
    """The text is checked by the service (empty, too long), which gives the messages."""

    text = TextAreaField(_l("Minutes (Markdown)"))
    reason = StringField(
        _l("Why this change (required to correct approved minutes)"), filters=[strip]
    )


class ApproversForm(FlaskForm):
    approvers = SelectMultipleField(
        _l("Who approves these minutes"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=False,  # the service refuses anyone without standing, with a message
    )


class PollApprovalForm(FlaskForm):
    poll = SelectField(_l("Poll that approved them"), coerce=str)
