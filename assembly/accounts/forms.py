from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from assembly.accounts.models import EMAIL_MAX, NAME_MAX, Gender
from assembly.accounts.service import PASSWORD_MAX, PASSWORD_MIN
from assembly.core.forms import strip
from assembly.core.labels import choices


def _language_choices():
    from flask import current_app

    return [("", _l("Same as my browser")), *current_app.config["LANGUAGES"].items()]


def _gender_choices():
    return [("", _l("I prefer not to say")), *choices(Gender)]


def _new_password(label):
    return PasswordField(
        label,
        validators=[
            DataRequired(),
            Length(
                min=PASSWORD_MIN,
                max=PASSWORD_MAX,
                message=_l("Use between %(min)d and %(max)d characters."),
            ),
        ],
    )


def _confirm(field: str):
    return PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo(field, message=_l("The passwords do not match."))],
    )


_email_validators = [DataRequired(), Length(max=EMAIL_MAX), Email(check_deliverability=False)]


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=_email_validators, filters=[strip])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=PASSWORD_MAX)])
    remember = BooleanField(_l("Keep me logged in on this device"))


class SignUpForm(FlaskForm):
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=NAME_MAX)])
    password = _new_password(_l("Password"))
    confirm = _confirm("password")
    locale = SelectField(_l("Language"), choices=_language_choices, validators=[Optional()])
    gender = SelectField(_l("Gender (optional)"), choices=_gender_choices, validators=[Optional()])


class ProfileForm(FlaskForm):
    display_name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=NAME_MAX)])
    locale = SelectField(_l("Language"), choices=_language_choices, validators=[Optional()])
    gender = SelectField(_l("Gender (optional)"), choices=_gender_choices, validators=[Optional()])


class PasswordChangeForm(FlaskForm):
    current = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=PASSWORD_MAX)]
    )
    password = _new_password(_l("New password"))
    confirm = _confirm("password")


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=_email_validators, filters=[strip])


class ResetPasswordForm(FlaskForm):
    password = _new_password(_l("New password"))
    confirm = _confirm("password")
