"""The form that prepares a poll, in a meeting or open for days to every member."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from assembly.core.clock import utcnow
from assembly.core.forms import strip
from assembly.core.labels import LABELS
from assembly.extensions import db
from assembly.meetings import service as meetings
from assembly.proposals.models import Proposal, ProposalStatus
from assembly.voting.models import Eligibility, PollMethod, Weighting
from assembly.voting.service import OPTION_METHODS

TITLE_MAX = 200
OPTION_MAX = 200
OPTIONS_MAX = 50
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]

# One line each, in plain words: what voting this way means for the person voting.
METHOD_HINTS = {
    PollMethod.YES_NO: _l("Yes, no or abstain on a proposal, decided by the majority you choose."),
    PollMethod.CONSENT: _l(
        "Agree, stand aside or object: adopted unless there are more objections than tolerated."
    ),
    PollMethod.GRADIENT: _l(
        "Each person says how much they support it, from 0 (I block) to 5 (full support)."
    ),
    PollMethod.SINGLE: _l("Each person picks one option."),
    PollMethod.APPROVAL: _l("Each person ticks every option they can accept."),
    PollMethod.DOTS: _l("Each person spreads a number of dots among the options they prefer."),
    PollMethod.SCORE: _l("Each person gives every option a score from 0 to 5."),
    PollMethod.RANKED_IRV: _l(
        "Each person ranks the options; the least preferred drop out until one has a majority."
    ),
    PollMethod.RANKED_SCHULZE: _l(
        "Each person ranks the options; the one preferred to the others head to head wins."
    ),
}

MAJORITY_CHOICES = [
    ("simple", _l("Simple: more in favour than against")),
    ("absolute", _l("Absolute: more than half of everyone who can vote")),
    ("two_thirds", _l("Two-thirds of the votes")),
    ("three_quarters", _l("Three-quarters of the votes")),
]
ABSTENTION_CHOICES = [
    ("excluded", _l("Do not count them: only yes and no are counted")),
    ("included", _l("Count them as votes cast (an abstention weighs like a no)")),
]
SECRECY_CHOICES = [
    ("open", _l("Open: the record keeps who voted what")),
    ("secret", _l("Secret: nobody can ever know who voted what")),
]

# The settings each method uses; the others are ignored (and hidden by the form's script).
METHOD_FIELDS = {
    "majority": {PollMethod.YES_NO},
    "abstentions": {PollMethod.YES_NO},
    "max_objections": {PollMethod.CONSENT},
    "options": OPTION_METHODS,
    "election": OPTION_METHODS,
    "candidates": OPTION_METHODS,
    "seats": OPTION_METHODS,
    "dots": {PollMethod.DOTS},
    "require_all": {PollMethod.SCORE},
    "require_full_ranking": {PollMethod.RANKED_IRV, PollMethod.RANKED_SCHULZE},
    "show_of_hands": {PollMethod.YES_NO, PollMethod.CONSENT, PollMethod.SINGLE},
}


def _number(label, default, low, high):
    return IntegerField(
        label,
        default=default,
        validators=[
            Optional(),
            NumberRange(
                min=low, max=high, message=_l("Enter a whole number between %(min)s and %(max)s.")
            ),
        ],
    )


class PollForm(FlaskForm):
    title = StringField(
        _l("Question or title"),
        validators=[DataRequired(), Length(max=TITLE_MAX)],
        filters=[strip],
    )
    method = RadioField(
        _l("How people vote"),
        choices=[(m.value, LABELS[m]) for m in PollMethod],
        default=PollMethod.YES_NO.value,
    )
    majority = SelectField(_l("Majority needed"), choices=MAJORITY_CHOICES, default="simple")
    abstentions = RadioField(_l("Abstentions"), choices=ABSTENTION_CHOICES, default="excluded")
    max_objections = _number(_l("Objections tolerated"), 0, 0, 1000)
    options = TextAreaField(_l("Options, one per line"), validators=[Optional()])
    election = BooleanField(_l("This is an election: the options are people of the organisation"))
    candidates = SelectMultipleField(
        _l("Candidates"),
        coerce=int,
        validators=[Optional()],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    seats = _number(_l("Places to fill"), 1, 1, OPTIONS_MAX - 1)
    dots = _number(_l("Dots per person"), 3, 1, 100)
    require_all = BooleanField(_l("Everyone must score every option"), default=True)
    require_full_ranking = BooleanField(_l("Everyone must rank every option"))
    secret = RadioField(_l("Ballot"), choices=SECRECY_CHOICES, default="open")
    allow_change = BooleanField(_l("People may change their vote while the poll is open"))
    show_of_hands = BooleanField(
        _l("Show of hands: people raise their hands in the room and you enter the counts")
    )
    show_running_results = BooleanField(
        _l("Show the results while people vote (never with a secret ballot)")
    )
    eligibility = RadioField(_l("Who votes"), default=Eligibility.PRESENT.value)
    weighting = RadioField(_l("Votes in the network"), default=Weighting.ORGANISATION.value)
    proposal = SelectField(_l("Proposal put to the vote (optional)"), validators=[Optional()])
    closes_on = DateField(_l("Closes on"), validators=[Optional()])
    closes_time = TimeField(_l("At (Buenos Aires time)"), format=TIME_FORMATS)

    def setup(self, organisation, meeting=None) -> PollForm:
        """Choices for this organisation; without a meeting the poll is for every member."""
        self.organisation, self.meeting = organisation, meeting
        if meeting is None:
            del self.eligibility
        else:
            self.eligibility.choices = [(e.value, LABELS[e]) for e in Eligibility]
        if organisation.is_network:
            self.weighting.choices = [(w.value, LABELS[w]) for w in Weighting]
        else:
            del self.weighting
        self.candidates.choices = [(u.id, u.display_name) for u in meetings.members(organisation)]
        self.proposal.choices = [("", _l("None"))] + [
            (str(p.id), p.title) for p in open_proposals(organisation)
        ]
        return self

    @property
    def method_value(self) -> PollMethod | None:
        try:
            return PollMethod(self.method.data)
        except ValueError:
            return None

    @property
    def for_all_members(self) -> bool:
        return self.meeting is None or self.eligibility.data == Eligibility.ALL_MEMBERS.value

    def option_labels(self) -> list[str]:
        return [line.strip() for line in (self.options.data or "").splitlines() if line.strip()]

    def validate(self, extra_validators=None) -> bool:
        super().validate(extra_validators)
        method = self.method_value
        for name, methods in METHOD_FIELDS.items():
            if method not in methods:
                self[name].errors = []  # a setting this method does not use cannot be wrong
        if method in OPTION_METHODS:
            self._check_options()
        self._check_closing()
        return not any(field.errors for field in self)

    def _check_options(self) -> None:
        if self.election.data:
            count, field = len(self.candidates.data or []), self.candidates
        else:
            labels = self.option_labels()
            count, field = len(labels), self.options
            if any(len(label) > OPTION_MAX for label in labels):
                field.errors.append(
                    _l("Each option can be at most %(max)s characters long.", max=OPTION_MAX)
                )
            if len({label.casefold() for label in labels}) != len(labels):
                field.errors.append(_l("Each option must be different."))
        if count < 2:
            field.errors.append(_l("A poll among options needs at least two."))
        elif count > OPTIONS_MAX:
            field.errors.append(_l("A poll can have at most %(max)s options.", max=OPTIONS_MAX))
        elif self.seats.data and self.seats.data >= count:
            self.seats.errors.append(_l("The seats must be fewer than the options."))

    def _check_closing(self) -> None:
        if not self.for_all_members:
            self.closes_on.errors, self.closes_time.errors = [], []
            return
        required = self.meeting is None
        if not self.closes_on.data and not required:
            self.closes_time.errors = []
            return
        if not self.closes_on.data:
            self.closes_on.errors.append(_l("Say until when people can vote."))
            return
        if not self.closes_time.data:
            if not self.closes_time.errors:
                self.closes_time.errors.append(_l("Say until when people can vote."))
            return
        if self.closes_at() <= utcnow():
            self.closes_on.errors.append(_l("The poll must close in the future."))

    def closes_at(self):
        if not (self.for_all_members and self.closes_on.data and self.closes_time.data):
            return None
        return meetings.from_local(self.closes_on.data, self.closes_time.data)

    def config(self) -> dict:
        method = self.method_value
        if method == PollMethod.YES_NO:
            return {"majority": self.majority.data, "abstentions": self.abstentions.data}
        if method == PollMethod.CONSENT:
            return {"max_objections": self.max_objections.data or 0}
        if method not in OPTION_METHODS:
            return {}
        config = {"seats": self.seats.data or 1, "election": bool(self.election.data)}
        if method == PollMethod.DOTS:
            config["dots"] = self.dots.data or 3
        if method == PollMethod.SCORE:
            config["require_all"] = bool(self.require_all.data)
        if method in (PollMethod.RANKED_IRV, PollMethod.RANKED_SCHULZE):
            config["require_full_ranking"] = bool(self.require_full_ranking.data)
        return config


def open_proposals(organisation) -> list[Proposal]:
    """The organisation's proposals that may be put to a vote: submitted or scheduled."""
    return list(
        db.session.scalars(
            select(Proposal)
            .where(
                Proposal.organisation_id == organisation.id,
                Proposal.status.in_([ProposalStatus.SUBMITTED, ProposalStatus.SCHEDULED]),
            )
            .order_by(Proposal.created_at.desc(), Proposal.id.desc())
        )
    )
