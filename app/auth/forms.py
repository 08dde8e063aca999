from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from app.auth.passwords import MAX_PASSWORD_LENGTH, password_problem
from app.form_base import stripped

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
