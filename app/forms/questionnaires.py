"""The built-in questionnaires, PHQ-9 and GAD-7, word for word as published, with their scoring tables.

PHQ-9 and GAD-7 were developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues,
with an educational grant from Pfizer Inc. No permission is required to reproduce, translate, display or
distribute them.
"""

from dataclasses import dataclass

FREQUENCY = [("0", "Not at all"), ("1", "Several days"), ("2", "More than half the days"),
             ("3", "Nearly every day")]
DIFFICULTY = ["Not difficult at all", "Somewhat difficult", "Very difficult", "Extremely difficult"]

PHQ9_ITEMS = [
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety "
    "or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
]
GAD7_ITEMS = [
    "Feeling nervous, anxious or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid as if something awful might happen",
]
PHQ9_DIFFICULTY = ("If you checked off any problems, how difficult have these problems made it for you to do your "
                   "work, take care of things at home, or get along with other people?")
GAD7_DIFFICULTY = ("If you checked off any problems, how difficult have these made it for you to do your work, "
                   "take care of things at home, or get along with other people?")


@dataclass(frozen=True)
class Questionnaire:
    key: str
    title: str
    instructions: str
    items: list[str]
    difficulty: str
    bands: list[tuple[int, int, str]]  # (lowest, highest, band), covering every possible total

    @property
    def max_total(self) -> int:
        return 3 * len(self.items)

    def questions(self) -> list[dict]:
        """The questions as a sent form stores them: scored items q1…qN, then the unscored difficulty item."""
        scored = [{"key": f"q{n}", "kind": "single_choice", "prompt": text, "required": True,
                   "options": [{"value": v, "label": label} for v, label in FREQUENCY]}
                  for n, text in enumerate(self.items, start=1)]
        difficulty = {"key": "difficulty", "kind": "single_choice", "prompt": self.difficulty, "required": False,
                      "options": [{"value": str(n), "label": label} for n, label in enumerate(DIFFICULTY)]}
        return [*scored, difficulty]

    def band(self, total: int) -> str:
        for lowest, highest, band in self.bands:
            if lowest <= total <= highest:
                return band
        raise ValueError(f"{total} is outside 0–{self.max_total}")


PHQ9 = Questionnaire(
    key="phq9", title="PHQ-9",
    instructions="Over the last 2 weeks, how often have you been bothered by any of the following problems?",
    items=PHQ9_ITEMS, difficulty=PHQ9_DIFFICULTY,
    bands=[(0, 4, "Minimal"), (5, 9, "Mild"), (10, 14, "Moderate"), (15, 19, "Moderately severe"),
           (20, 27, "Severe")],
)
GAD7 = Questionnaire(
    key="gad7", title="GAD-7",
    instructions="Over the last 2 weeks, how often have you been bothered by the following problems?",
    items=GAD7_ITEMS, difficulty=GAD7_DIFFICULTY,
    bands=[(0, 4, "Minimal"), (5, 9, "Mild"), (10, 14, "Moderate"), (15, 21, "Severe")],
)
QUESTIONNAIRES = {q.key: q for q in (PHQ9, GAD7)}
SELF_HARM_ITEM = "q9"


@dataclass(frozen=True)
class Score:
    total: int
    out_of: int
    band: str
    self_harm_flag: bool  # PHQ-9 item 9 answered above "Not at all"


def score(questionnaire_key: str, answers: dict) -> Score | None:
    """The total and severity band, or None when the form isn't a scored questionnaire or isn't complete."""
    questionnaire = QUESTIONNAIRES.get(questionnaire_key)
    if questionnaire is None:
        return None
    values = [answers.get(f"q{n}") for n in range(1, len(questionnaire.items) + 1)]
    if any(v not in {"0", "1", "2", "3"} for v in values):
        return None
    total = sum(int(v) for v in values)
    flagged = questionnaire is PHQ9 and answers.get(SELF_HARM_ITEM) not in (None, "0")
    return Score(total, questionnaire.max_total, questionnaire.band(total), flagged)
