from wtforms import HiddenField
from wtforms.validators import AnyOf

from app.form_base import ButtonForm
from app.getting_started.patterns import PATTERNS


class ApplyPatternForm(ButtonForm):
    pattern = HiddenField(validators=[AnyOf(list(PATTERNS), message="Choose one of the five patterns.")])
