from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required, login_user, logout_user

from assembly.accounts import service, sessions
from assembly.accounts.forms import (
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    ResetPasswordForm,
    ResetRequestForm,
)
from assembly.accounts.models import Gender
from assembly.core.actions import require_confirmation
from assembly.core.errors import DomainError
from assembly.core.forms import ConfirmForm, enum_or_none, safe_next
from assembly.extensions import db, limiter

bp = Blueprint("accounts", __name__)


def _login_key() -> str:
    """Attempts on one account from one address: someone guessing elsewhere cannot lock the
    owner out of her own account (the per-address limit still holds the guesser back)."""
    email = service.normalise_email(request.form.get("email", ""))[:254]
    return f"login:{get_remote_address()}:{email}"


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT_PER_ACCOUNT"],
    key_func=_login_key,
    methods=["POST"],
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = service.authenticate(form.email.data, form.password.data)
        if user is None:
            form.password.errors.append(_("Wrong e-mail or password."))
        else:
            sessions.start(user, remember=form.remember.data)
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(url_for("core.home")))
    return render_template("accounts/login.html", form=form), 200 if not form.errors else 400


@bp.post("/logout")
def logout():
    """This device only; its cookies, and any copy of them, stop working."""
    if current_user.is_authenticated:
        sessions.end(current_user._get_current_object())
        db.session.commit()
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(safe_next(url_for("accounts.login")))


@bp.post("/logout/everywhere")
@login_required
def logout_everywhere():
    require_confirmation()
    sessions.end_all(current_user._get_current_object())
    db.session.commit()
    logout_user()
    flash(_("You have logged out on every device."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def forgot_password():
    form = ResetRequestForm()
    if form.validate_on_submit():
        service.request_password_reset(form.email.data)
        db.session.commit()
        if current_app.config.get("MAIL_SERVER"):
            flash(_("If an account exists for that address, a reset link is on its way."), "info")
        else:
            flash(_("This server cannot send mail: ask the people who run it for a link."), "info")
        return redirect(url_for("accounts.login"))
    return render_template(
        "accounts/forgot.html", form=form, can_mail=bool(current_app.config.get("MAIL_SERVER"))
    ), 200 if not form.errors else 400


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        service.user_for_reset_token(token)
    except DomainError as error:
        return render_template("accounts/link_problem.html", message=str(error)), error.status
    form = ResetPasswordForm()
    if form.validate_on_submit():
        service.reset_password(token, form.password.data)
        db.session.commit()
        logout_user()
        flash(_("Your password has been changed. You can log in now."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form), 200 if not form.errors else 400


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user if request.method == "GET" else None)
    if request.method == "GET":
        form.locale.data = current_user.locale or ""
        form.gender.data = current_user.gender or ""
    password_form = PasswordChangeForm(prefix="pw")
    if form.validate_on_submit():
        service.update_profile(
            current_user,
            display_name=form.display_name.data,
            locale=form.locale.data or None,
            gender=enum_or_none(Gender, form.gender.data),
        )
        db.session.commit()
        flash(_("Your profile has been saved."), "success")
        return redirect(url_for("accounts.profile"))
    status = 400 if form.errors else 200
    return render_template(
        "accounts/profile.html", form=form, password_form=password_form, confirm=ConfirmForm()
    ), status


@bp.post("/profile/password")
@login_required
def change_password():
    form = ProfileForm(obj=current_user)
    password_form = PasswordChangeForm(prefix="pw")
    if password_form.validate_on_submit():
        user = current_user._get_current_object()
        remember = sessions.remembered(user)
        try:
            service.change_password(user, password_form.current.data, password_form.password.data)
        except DomainError as error:
            password_form.current.errors.append(str(error))
        else:
            # Every log-in ended with the old password; this device goes on with a new one.
            sessions.start(user, remember=remember)
            db.session.commit()
            login_user(user, remember=remember)
            flash(
                _("Your password has been changed. You have been logged out on other devices."),
                "success",
            )
            return redirect(url_for("accounts.profile"))
    return (
        render_template(
            "accounts/profile.html", form=form, password_form=password_form, confirm=ConfirmForm()
        ),
        400,
    )
