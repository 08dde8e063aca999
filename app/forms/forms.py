from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from app.form_base import OnceForm, PageForm, WholeNumberField, options, stripped
from app.forms.answers import KINDS
from app.forms.service import REPEATS

MAX_OPTIONS = 20


class SendFormForm(OnceForm):
    template = SelectField("Form", validate_choice=True)
    repeat = SelectField("How often", coerce=int, choices=options(REPEATS.items()), validate_choice=True,
                         description="A check-in is sent again on the same weekday until you stop it.")


class TemplateForm(OnceForm):
    title = StringField("Title", filters=[stripped], validators=[
        DataRequired("Give the form a title, like “New client intake”."),
        Length(max=120, message="Use at most 120 characters.")],
        description="Clients see this title in their portal (never in e-mails).")


def option_lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class QuestionForm(PageForm):
    prompt = TextAreaField("Question", filters=[stripped], validators=[
        DataRequired("Write the question."), Length(max=500, message="Use at most 500 characters.")])
    kind = SelectField("Kind of answer", choices=options(KINDS.items()), validate_choice=True)
    required = BooleanField("Required", default=True)
    options = TextAreaField("Answers to choose from", filters=[stripped],
                            description="For single and multiple choice: one answer per line.")
    alert_options = TextAreaField(
        "Alert when chosen", filters=[stripped], render_kw={"rows": 2},
        description="Optional, for single and multiple choice: copy here any of the answers above that need "
                    "attention at once, one per line. A client who chooses one is marked “Needs attention” and "
                    "their assigned staff are e-mailed, until someone acknowledges it.")
    scale_min = WholeNumberField("Scale from", default=0, validators=[
        Optional(), NumberRange(0, 10, "Use a number from 0 to 10.")])
    scale_max = WholeNumberField("Scale to", default=10, validators=[
        Optional(), NumberRange(1, 100, "Use a number from 1 to 100.")])
    min_label = StringField("Label for the lowest", filters=[stripped], validators=[Length(max=60)],
                            description="For a scale, e.g. “Not at all”.")
    max_label = StringField("Label for the highest", filters=[stripped], validators=[Length(max=60)],
                            description="For a scale, e.g. “Extremely”.")

    def validate_options(self, field):
        if self.kind.data not in ("single_choice", "multiple_choice"):
            return
        lines = option_lines(field.data)
        if len(lines) < 2:
            raise ValidationError("Give at least two answers, one per line.")
        if len(lines) > MAX_OPTIONS:
            raise ValidationError(f"Use at most {MAX_OPTIONS} answers.")
        if any(len(line) > 100 for line in lines):
            raise ValidationError("Keep each answer to 100 characters.")
        if len(set(lines)) != len(lines):
            raise ValidationError("Each answer may appear only once.")

    def validate_alert_options(self, field):
        lines = option_lines(field.data)
        if not lines:
            return
        if self.kind.data not in ("single_choice", "multiple_choice"):
            raise ValidationError("Only single and multiple choice answers can raise an alert; leave this empty.")
        unknown = [line for line in lines if line not in option_lines(self.options.data)]
        if unknown:
            raise ValidationError(f"“{unknown[0]}” is not one of the answers above. Copy it exactly as written there.")

    def validate_scale_max(self, field):
        if self.kind.data != "scale":
            return
        if self.scale_min.data is None or field.data is None:
            raise ValidationError("Give both ends of the scale.")
        if field.data <= self.scale_min.data:
            raise ValidationError("The top of the scale must be above the bottom.")
        if field.data - self.scale_min.data > 20:
            raise ValidationError("A scale may have at most 21 steps.")


class AcknowledgeForm(PageForm):
    note = TextAreaField("Note (optional)", filters=[stripped], render_kw={"rows": 2},
                         validators=[Optional(), Length(max=1000, message="Use at most 1,000 characters.")],
                         description="What you did, e.g. “Called her, safety plan agreed.” Staff only.")


class StepForm(PageForm):
    step = WholeNumberField(validators=[InputRequired(), NumberRange(-1, 1)])
