from flask_wtf import FlaskForm
from wtforms import BooleanField, FileField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from app.branding.colours import AA_CONTRAST, HEX_COLOUR, WHITE, contrast, nearest_readable, readable_with_white
from app.form_base import stripped

WELCOME_MAX = 500
SIGNATURE_MAX = 500


def lower(value: str | None) -> str | None:
    return value.lower() if isinstance(value, str) else value


class BrandingForm(FlaskForm):
    name = StringField("Practice name", filters=[stripped], validators=[
        DataRequired("Give the practice's name, as clients know it."), Length(max=120)])
    logo = FileField("Logo", description="A PNG, JPEG or WebP image of up to 2 MB; it is shown 32 pixels high. "
                                         "Leave empty to keep the current one.")
    remove_logo = BooleanField("Remove the logo (show the initials instead)")
    brand_colour = StringField(
        "Brand colour", filters=[stripped, lower],
        description="As #rrggbb, e.g. #1f5f8b. Buttons show white text on it, so it must be dark enough to read.",
        validators=[DataRequired("Give a colour as #rrggbb, e.g. #1f5f8b."),
                    Regexp(HEX_COLOUR, message="Write the colour as # and six hex digits, e.g. #1f5f8b.")],
        render_kw={"maxlength": 7, "spellcheck": "false"})
    white_label = BooleanField(
        "White-label", description="Clients see only your practice: no mention of the software that runs the "
                                   "portal on any page or e-mail.")
    portal_welcome = TextAreaField(
        "Portal welcome text", filters=[stripped], description="Shown on every client's portal home.",
        validators=[Length(max=WELCOME_MAX)], render_kw={"rows": 3, "maxlength": WELCOME_MAX})
    email_signature = TextAreaField(
        "E-mail signature", filters=[stripped], description="Ends every e-mail the portal sends to clients.",
        validators=[Length(max=SIGNATURE_MAX)], render_kw={"rows": 3, "maxlength": SIGNATURE_MAX})

    def validate_brand_colour(self, field):
        if HEX_COLOUR.match(field.data or "") and not readable_with_white(field.data):
            suggestion = nearest_readable(field.data)
            raise ValidationError(
                f"White text on {field.data} has a contrast of {contrast(field.data, WHITE):.1f}:1; "
                f"it needs at least {AA_CONTRAST}:1 to be readable. The nearest colour that passes is {suggestion}.")
