from flask_wtf import FlaskForm
from wtforms import EmailField, FieldList, HiddenField, PasswordField, SelectField, StringField, TelField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, Regexp, ValidationError

from app.auth.mfa import RECOVERY_CODE_COUNT
from app.auth.passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, password_problem
from app.clients.forms import time_zone_choices
from app.form_base import PageForm, stripped

EMAIL_MAX = 320


class LoginForm(FlaskForm):
    email = EmailField("E-mail address", filters=[stripped], validators=[
        DataRequired("Enter your e-mail address."), Length(max=EMAIL_MAX), Email("Enter a valid e-mail address.")])
    password = PasswordField("Password", validators=[
        DataRequired("Enter your password."), Length(max=MAX_PASSWORD_LENGTH)])


class ForgotPasswordForm(FlaskForm):
    email = EmailField("E-mail address", filters=[stripped], validators=[
        DataRequired("Enter your e-mail address."), Length(max=EMAIL_MAX), Email("Enter a valid e-mail address.")])


class NewPasswordForm(FlaskForm):
    """Choosing a password. Set `account_email` before validating, so the password can't contain it."""

    password = PasswordField("New password", validators=[DataRequired("Choose a password.")])
    confirm = PasswordField("Repeat the password", validators=[
        DataRequired("Type the password again."), EqualTo("password", "The two passwords don't match.")])
    account_email = ""

    def validate_password(self, field):
        problem = password_problem(field.data, self.account_email)
        if problem:
            raise ValidationError(problem)


class CodeForm(FlaskForm):
    """The second step at sign-in: a code from the authenticator app, or a recovery code."""

    code = StringField("Code", filters=[stripped], validators=[
        DataRequired("Enter the 6-digit code from your app, or a recovery code."), Length(max=40)],
        description="The 6-digit code your authenticator app shows now, or one of your recovery codes.")


class ProfileForm(PageForm):
    preferred_name = StringField("Preferred name", filters=[stripped], validators=[
        Optional(), Length(max=60, message="Use at most 60 characters.")],
        description="What we call you, e.g. on the home page. Leave empty to use your first name.")
    phone = TelField("Phone", filters=[stripped], validators=[
        Optional(), Length(max=32, message="Use at most 32 characters."),
        Regexp(r"^\+?[0-9 ()\-.]{5,}$", message="Use digits, spaces and + ( ) - only.")])
    time_zone = SelectField("Time zone", choices=time_zone_choices,
                            description="Times are shown in this zone.")


class EmailChangeForm(PageForm):
    new_email = EmailField("New e-mail address", filters=[stripped], validators=[
        DataRequired("Enter the new address."), Length(max=EMAIL_MAX), Email("Enter a valid e-mail address.")],
        description="We send a link to the new address; the change takes effect when you open it.")
    email_password = PasswordField("Your password", validators=[
        DataRequired("Enter your current password."), Length(max=MAX_PASSWORD_LENGTH)])


class PasswordChangeForm(PageForm):
    """Set `account_email` before validating, so the new password can't contain it."""

    current_password = PasswordField("Current password", validators=[
        DataRequired("Enter your current password."), Length(max=MAX_PASSWORD_LENGTH)])
    new_password = PasswordField("New password", validators=[DataRequired("Choose a new password.")],
                                 description=f"At least {MIN_PASSWORD_LENGTH} characters; a few unrelated words "
                                             "together work well.")
    confirm = PasswordField("Repeat the new password", validators=[
        DataRequired("Type the new password again."), EqualTo("new_password", "The two passwords don't match.")])
    account_email = ""

    def validate_new_password(self, field):
        problem = password_problem(field.data, self.account_email)
        if problem:
            raise ValidationError(problem)


class TurnOnMfaForm(PageForm):
    code = StringField("Code from the app", filters=[stripped], validators=[
        DataRequired("Enter the 6-digit code your app shows."), Length(max=12)])


class NewRecoveryCodesForm(PageForm):
    codes_code = StringField("Code from your authenticator app", filters=[stripped], validators=[
        DataRequired("Enter the 6-digit code your app shows."), Length(max=12)],
        description="The codes you have now stop working.")


class TurnOffMfaForm(PageForm):
    off_password = PasswordField("Your password", validators=[
        DataRequired("Enter your current password."), Length(max=MAX_PASSWORD_LENGTH)])
    off_code = StringField("Code from your authenticator app", filters=[stripped], validators=[
        DataRequired("Enter the 6-digit code your app shows."), Length(max=12)])


class RecoveryCodesDownload(FlaskForm):
    codes = FieldList(HiddenField(), min_entries=0, max_entries=RECOVERY_CODE_COUNT)
