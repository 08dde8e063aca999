"""Form pieces shared by every feature."""

import uuid

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import UUID, DataRequired


class PageForm(FlaskForm):
    """A form on a page that may hold several: its hidden fields (CSRF token, request key) have no id, so that two
    forms never give a page the same id twice."""

    class Meta:
        def render_field(self, field, render_kw):
            if getattr(field.widget, "input_type", None) == "hidden":
                render_kw = {"id": False, **render_kw}
            return super().render_field(field, render_kw)


class ButtonForm(PageForm):
    """A POST made by a button alone: it still carries the CSRF token."""


class OnceForm(PageForm):
    """A form whose double submit must make one record: the key is written with the record."""

    request_key = HiddenField(default=lambda: str(uuid.uuid4()), validators=[DataRequired(), UUID()])


def stripped(value: str | None) -> str | None:
    """A field filter: what people paste often carries spaces around it."""
    return value.strip() if isinstance(value, str) else value


def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as choices for a SelectField, RadioField or SelectMultipleField."""
    return [SelectChoice(value, label) for value, label in pairs]


class WholeNumberField(IntegerField):
    """An IntegerField that refuses absurdly long numbers as not valid, rather than handing validators an int
    too large to compare with a float (NumberRange would fail with OverflowError: a 500)."""

    MOST_DIGITS = 12

    def process_formdata(self, valuelist):
        if valuelist and len(valuelist[0].strip().lstrip("+-")) > self.MOST_DIGITS:
            self.data = None
            raise ValueError(self.gettext("Not a valid integer value."))
        super().process_formdata(valuelist)
