from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from assembly.commitments import service
from assembly.commitments.models import CommitmentStatus, TimeFrame
from assembly.core.forms import strip

TIME_FRAME_LABELS = {
    TimeFrame.SHORT: _l("Short term"),
    TimeFrame.MEDIUM: _l("Medium term"),
    TimeFrame.LONG: _l("Long term"),
}
# A commitment ("compromiso") is masculine in Spanish: its own context for each status.
STATUS_LABELS = {
    CommitmentStatus.OPEN: lazy_pgettext("commitment", "Open"),
    CommitmentStatus.IN_PROGRESS: lazy_pgettext("commitment", "In progress"),
    CommitmentStatus.DONE: lazy_pgettext("commitment", "Done"),
    CommitmentStatus.BLOCKED: lazy_pgettext("commitment", "Blocked"),
    CommitmentStatus.DROPPED: lazy_pgettext("commitment", "Dropped"),
    CommitmentStatus.RENEGOTIATED: lazy_pgettext("commitment", "Renegotiated"),
}


class CommitmentForm(FlaskForm):
    what = TextAreaField(
        _l("What (Markdown)"),
        validators=[DataRequired(), Length(max=service.WHAT_MAX)],
        filters=[strip],
    )
    owners = SelectMultipleField(
        _l("Who answers for it"),
        validators=[DataRequired()],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    due_on = DateField(_l("Due date"), validators=[Optional()])
    time_frame = SelectField(
        _l("Time frame"),
        choices=[(f.value, label) for f, label in TIME_FRAME_LABELS.items()],
        default=TimeFrame.SHORT.value,
    )
    confirm_past = BooleanField(_l("Yes, record it with a due date that has passed"))
    source = HiddenField()

    def setup(self, options) -> CommitmentForm:
        self.owners.choices = [(choice.key, label) for choice, label in options]
        return self


class UpdateForm(FlaskForm):
    status = SelectField(
        _l("Status"),
        choices=[("", _l("Unchanged"))] + [(s.value, label) for s, label in STATUS_LABELS.items()],
        validators=[Optional()],
    )
    due_on = DateField(_l("New due date (when renegotiated)"), validators=[Optional()])
    note = TextAreaField(
        _l("Progress note (optional)"),
        validators=[Optional(), Length(max=service.NOTE_MAX)],
        filters=[strip],
    )
