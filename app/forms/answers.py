"""What a client may answer to each kind of question, read from a posted form and checked.

A question is a dict as a sent form stores it: key, kind, prompt, required, and per kind options
(value/label pairs) or scale bounds. An answer is a string, or a list of strings for multiple choice.
"""

import json
from datetime import date

KINDS = {
    "short_text": "Short text",
    "long_text": "Long text",
    "single_choice": "Single choice",
    "multiple_choice": "Multiple choice",
    "scale": "Scale",
    "date": "Date",
    "yes_no": "Yes / no",
}
TEXT_LIMITS = {"short_text": 200, "long_text": 5000}
YES_NO = [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}]
EARLIEST_DATE, LATEST_DATE = date(1900, 1, 1), date(2200, 12, 31)


class AnswerProblem(ValueError):
    """The answer can't be taken as it is; the message says what to do, next to the question."""


def field_name(question: dict) -> str:
    return f"answer-{question['key']}"


def choices(question: dict) -> list[dict]:
    if question["kind"] == "yes_no":
        return YES_NO
    if question["kind"] == "scale":
        return [{"value": str(n), "label": str(n)} for n in range(question["min"], question["max"] + 1)]
    return question.get("options", [])


def read(question: dict, posted: list[str]):
    """The answer in `posted` (the values sent for the question's field): None when blank; AnswerProblem if bad."""
    kind = question["kind"]
    if kind == "multiple_choice":
        allowed = {c["value"] for c in choices(question)}
        picked = [v for v in posted if v]
        if any(v not in allowed for v in picked) or len(set(picked)) != len(picked):
            raise AnswerProblem("Choose from the answers shown.")
        return [c["value"] for c in choices(question) if c["value"] in picked] or None
    if len(posted) > 1:
        raise AnswerProblem("Give one answer.")
    value = posted[0].strip() if posted else ""
    if not value:
        return None
    if kind in TEXT_LIMITS:
        if len(value) > TEXT_LIMITS[kind]:
            raise AnswerProblem(f"Use at most {TEXT_LIMITS[kind]:,} characters.")
        return value.replace("\r\n", "\n")
    if kind == "date":
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise AnswerProblem("Enter a date like 2026-03-14.") from None
        if not EARLIEST_DATE <= day <= LATEST_DATE:
            raise AnswerProblem("Enter a real date.")
        return day.isoformat()
    if value not in {c["value"] for c in choices(question)}:
        if kind == "scale":
            raise AnswerProblem(f"Choose a number from {question['min']} to {question['max']}.")
        raise AnswerProblem("Choose one of the answers shown.")
    return value


def encode(value) -> str:
    return json.dumps(value)


def decode(text: str):
    return json.loads(text)


def shown(value) -> str:
    """The answer as the page last showed it, kept in the page to tell what this tab changed."""
    return "" if value is None else encode(value)


def is_chosen(value, option_value: str) -> bool:
    return option_value in value if isinstance(value, list) else value == option_value


def as_text(question: dict, value) -> str:
    """The answer as a person reads it: option labels rather than their values."""
    if value is None:
        return "Not answered"
    labels = {c["value"]: c["label"] for c in choices(question)}
    if isinstance(value, list):
        return ", ".join(labels.get(v, v) for v in value)
    if question["kind"] in ("single_choice", "yes_no"):
        return labels.get(value, value)
    return value
