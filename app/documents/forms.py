from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.documents.models import KINDS
from app.documents.service import NOTE_MAX
from app.form_base import OnceForm, options, stripped

SHARED_KINDS = options((value, label) for value, label in KINDS.items() if value != "upload")


class ShareForm(OnceForm):
    title = StringField("Title", filters=[stripped],
                        validators=[DataRequired("Give the document a title."), Length(max=120)],
                        description="The client sees this title in their portal. The e-mail never names it.")
    kind = SelectField("Kind", choices=SHARED_KINDS, default="session_summary")
    file = FileField("File")
    note = TextAreaField("Or write a note", validators=[Length(max=NOTE_MAX)],
                         description="Leave the file empty to share this note as a text document.")


class UploadForm(FlaskForm):
    file = FileField("File to upload")
