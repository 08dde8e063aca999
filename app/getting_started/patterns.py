"""The five practice patterns of the product (therapist, physio, GP, coach, group practice) as presets of the
settings that make each easy: the communication mode and the two workflows. Applying one shows its changes first;
applying another undoes it."""

from dataclasses import dataclass

from sqlalchemy import select

from app.audit.trail import record
from app.db import db
from app.forms.builder import create_template
from app.forms.models import FormQuestion, FormTemplate
from app.forms.service import BUILTIN, CUSTOM, choose_intake_form, intake_template_key, template_choices
from app.inbox.policy import ASSIGNED_ONLY, MODES, REPLY_ONLY
from app.inbox.service import change_mode

COACHING_INTAKE = "Coaching intake"
COACHING_QUESTIONS = [
    ("long_text", "What would you like to work on together?"),
    ("long_text", "What would success look like three months from now?"),
    ("scale", "How confident are you that you can get there?"),
]
NEW_COACHING_INTAKE = "coaching-intake"  # stands for the form the coach pattern makes when there is none yet


@dataclass(frozen=True)
class Pattern:
    name: str
    what_they_do: str
    communication_mode: str
    automate_portal_invites: bool
    intake_form: str  # a template key, "" for none, or NEW_COACHING_INTAKE


PATTERNS = {
    "therapist": Pattern("Therapist", "An automatic invite when a client is added and a PHQ-9 to start; session "
                                      "summaries shared; check-ins between sessions in chat with their therapist.",
                         ASSIGNED_ONLY, True, BUILTIN + "phq9"),
    "physio": Pattern("Physio", "Home-exercise PDFs shared; clients send short videos of their form to their "
                                "physio, who replies with corrections.", ASSIGNED_ONLY, True, ""),
    "gp": Pattern("GP", "A portal invite sent by hand at the first visit; lab results shared; Reply only keeps the "
                        "inbox calm.", REPLY_ONLY, False, ""),
    "coach": Pattern("Coach", "An invite and an intake form the moment the client is added; accountability "
                              "check-ins in chat.", ASSIGNED_ONLY, True, NEW_COACHING_INTAKE),
    "group": Pattern("Group practice", "Assigned clients only: each practitioner messages only their own roster, "
                                       "and clients only their own practitioners.", ASSIGNED_ONLY, True, ""),
}

SETTING_NAMES = {"communication_mode": "How clients may write (Communications)",
                 "automate_portal_invites": "Automate portal invites (Workflows)",
                 "intake_form": "Send intake form on client creation (Workflows)"}


def current_settings(workspace) -> dict:
    return {"communication_mode": workspace.communication_mode,
            "automate_portal_invites": workspace.automate_portal_invites,
            "intake_form": intake_template_key(workspace.id) or ""}


def settings_of(pattern: Pattern, workspace) -> dict:
    intake = pattern.intake_form
    if intake == NEW_COACHING_INTAKE and (existing := _coaching_intake(workspace.id)) is not None:
        intake = CUSTOM + str(existing.id)
    return {"communication_mode": pattern.communication_mode,
            "automate_portal_invites": pattern.automate_portal_invites, "intake_form": intake}


def changes(pattern: Pattern, workspace) -> list[tuple[str, str, str]]:
    """(setting, now, after) for every setting the pattern would change, in words the settings pages use."""
    now, after = current_settings(workspace), settings_of(pattern, workspace)
    forms = dict(template_choices(workspace.id))
    return [(SETTING_NAMES[name], _shown(name, now[name], forms), _shown(name, after[name], forms))
            for name in SETTING_NAMES if now[name] != after[name]]


def apply_pattern(key: str, workspace, by) -> None:
    pattern = PATTERNS[key]
    wanted = settings_of(pattern, workspace)
    if wanted["intake_form"] == NEW_COACHING_INTAKE:
        wanted["intake_form"] = CUSTOM + str(_make_coaching_intake(workspace.id, by).id)
    if workspace.communication_mode != wanted["communication_mode"]:
        change_mode(workspace, wanted["communication_mode"], workspace.client_contact_note)
    workspace.automate_portal_invites = wanted["automate_portal_invites"]
    choose_intake_form(workspace.id, wanted["intake_form"])
    record(f"settings.pattern_applied.{key}", workspace_id=workspace.id)


def _shown(name: str, value, forms: dict) -> str:
    if name == "communication_mode":
        return MODES[value][0]
    if name == "automate_portal_invites":
        return "On" if value else "Off"
    if value == NEW_COACHING_INTAKE:
        return f"{COACHING_INTAKE} (a new form of {len(COACHING_QUESTIONS)} questions; edit it under Forms)"
    return forms.get(value, "Don't send a form") if value else "Don't send a form"


def _coaching_intake(workspace_id: int) -> FormTemplate | None:
    return db.session.scalar(select(FormTemplate).where(
        FormTemplate.workspace_id == workspace_id, FormTemplate.title == COACHING_INTAKE,
        FormTemplate.archived_at.is_(None)).order_by(FormTemplate.id).limit(1))


def _make_coaching_intake(workspace_id: int, by) -> FormTemplate:
    template = create_template(workspace_id, by, COACHING_INTAKE, request_key=None)
    for position, (kind, prompt) in enumerate(COACHING_QUESTIONS):
        scale = {"scale_min": 1, "scale_max": 10, "min_label": "Not at all", "max_label": "Completely"} \
            if kind == "scale" else {}
        db.session.add(FormQuestion(template_id=template.id, position=position, kind=kind, prompt=prompt,
                                    required=True, **scale))
    db.session.flush()
    db.session.refresh(template)
    return template
