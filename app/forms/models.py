import json
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint, bindparam, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.clients.models import Client
from app.db import EncryptedText, db, prepared
from app.mail import OwedEmail
from app.tenancy import Workspace


class FormTemplate(db.Model):
    """A questionnaire built by the practice. Sent forms keep a copy of its questions, so editing it later
    never changes what a client was asked."""

    __tablename__ = "form_templates"
    __table_args__ = (UniqueConstraint("workspace_id", "request_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    request_key: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime]
    archived_at: Mapped[datetime | None]

    questions: Mapped[list["FormQuestion"]] = relationship(order_by="FormQuestion.position",
                                                           cascade="all, delete-orphan")


class FormQuestion(db.Model):
    __tablename__ = "form_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("form_templates.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    prompt: Mapped[str] = mapped_column(String(500))
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    options_json: Mapped[str | None] = mapped_column(Text)
    scale_min: Mapped[int | None]
    scale_max: Mapped[int | None]
    min_label: Mapped[str | None] = mapped_column(String(60))
    max_label: Mapped[str | None] = mapped_column(String(60))

    @property
    def options(self) -> list[str]:
        return [choice["label"] if isinstance(choice, dict) else choice for choice in self._choices]

    @property
    def alert_options(self) -> list[str]:
        """The answers the practice marked "alert when chosen"."""
        return [choice["label"] for choice in self._choices if isinstance(choice, dict) and choice.get("alert")]

    @property
    def _choices(self) -> list:
        return json.loads(self.options_json) if self.options_json else []


class FormSchedule(db.Model):
    """A recurring check-in: the sweep sends the form again whenever next_send_at has passed."""

    __tablename__ = "form_schedules"
    __table_args__ = (UniqueConstraint("workspace_id", "request_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    template_key: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(120))
    every_days: Mapped[int]
    next_send_at: Mapped[datetime] = mapped_column(index=True)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    request_key: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None]


class FormRequest(db.Model):
    """A form sent to a client to fill in, with a copy of its questions as they were when it was sent."""

    __tablename__ = "form_requests"
    __table_args__ = (UniqueConstraint("workspace_id", "request_key"), UniqueConstraint("schedule_id", "sent_at"),
                      Index("ix_form_requests_client_id_sent_at", "client_id", "sent_at", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    sent_at: Mapped[datetime]
    submitted_at: Mapped[datetime | None]
    template_key: Mapped[str | None] = mapped_column(String(40))
    questions_json: Mapped[str | None] = mapped_column(Text)
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("form_schedules.id"), index=True)
    sent_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sent_as: Mapped[str | None] = mapped_column(String(16))
    request_key: Mapped[str | None] = mapped_column(String(36))

    workspace: Mapped[Workspace] = relationship()
    client: Mapped[Client] = relationship()
    sent_by: Mapped[User | None] = relationship()
    notice: Mapped["FormNotice | None"] = relationship(viewonly=True)

    @property
    def sent_as_tag(self) -> str | None:
        """The tag beside the title on the record, unless the title already says it ("PHQ-9 weekly check-in")."""
        tag = {"intake": "intake", "check_in": "check-in"}.get(self.sent_as or "")
        return None if tag is None or tag in self.title.lower() else tag


class FormAnswer(db.Model):
    """One answer, JSON-encoded and encrypted. A draft and a submitted form use the same rows."""

    __tablename__ = "form_answers"
    __table_args__ = (UniqueConstraint("form_request_id", "question_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    form_request_id: Mapped[int] = mapped_column(ForeignKey("form_requests.id"), index=True)
    question_key: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(EncryptedText)
    updated_at: Mapped[datetime]


class FormNotice(OwedEmail, db.Model):
    """The e-mail telling a client a form is waiting (no health data in it); sent at most once by a job."""

    __tablename__ = "form_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    form_request_id: Mapped[int] = mapped_column(ForeignKey("form_requests.id"), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime]

    form_request: Mapped[FormRequest] = relationship()


class FormAlert(db.Model):
    """A submitted answer that needs attention (PHQ-9 item 9 above "Not at all", or a choice marked "alert when
    chosen"): one per answer, open until a staff member acknowledges it."""

    __tablename__ = "form_alerts"
    __table_args__ = (UniqueConstraint("form_request_id", "question_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    form_request_id: Mapped[int] = mapped_column(ForeignKey("form_requests.id"), index=True)
    question_key: Mapped[str] = mapped_column(String(20))
    raised_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None] = mapped_column(index=True)
    acknowledged_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acknowledgement_note: Mapped[str | None] = mapped_column(EncryptedText)

    client: Mapped[Client] = relationship()
    form_request: Mapped[FormRequest] = relationship()
    acknowledged_by: Mapped[User | None] = relationship()

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None


class FormAlertEmail(OwedEmail, db.Model):
    """The e-mail telling one staff member that an answer needs attention (no name, no answer, no form title)."""

    __tablename__ = "form_alert_emails"
    __table_args__ = (UniqueConstraint("alert_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("form_alerts.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime]

    alert: Mapped[FormAlert] = relationship()
    user: Mapped[User] = relationship()


class IntakeSetting(db.Model):
    """Workflows → "Send intake form on client creation": which form, if any."""

    __tablename__ = "intake_settings"

    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), primary_key=True)
    template_key: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime]


def waiting_forms(client_id: int) -> list[FormRequest]:
    return list(db.session.scalars(_waiting_forms(), {"client_id": client_id}))


@prepared
def _waiting_forms():
    return (select(FormRequest)
            .where(FormRequest.client_id == bindparam("client_id"), FormRequest.submitted_at.is_(None))
            .order_by(FormRequest.sent_at))
