"""PHQ-9 and GAD-7 scoring against the published severity tables, for every possible total."""

import pytest

from app.forms.questionnaires import GAD7, PHQ9, score

PHQ9_TABLE = {**dict.fromkeys(range(0, 5), "Minimal"), **dict.fromkeys(range(5, 10), "Mild"),
              **dict.fromkeys(range(10, 15), "Moderate"), **dict.fromkeys(range(15, 20), "Moderately severe"),
              **dict.fromkeys(range(20, 28), "Severe")}
GAD7_TABLE = {**dict.fromkeys(range(0, 5), "Minimal"), **dict.fromkeys(range(5, 10), "Mild"),
              **dict.fromkeys(range(10, 15), "Moderate"), **dict.fromkeys(range(15, 22), "Severe")}


def answers_totalling(total: int, items: int) -> dict:
    """Item answers (0–3) that add up to `total`, filled from the first item on."""
    answers, left = {}, total
    for n in range(1, items + 1):
        answers[f"q{n}"] = str(min(3, left))
        left -= min(3, left)
    assert left == 0
    return answers


@pytest.mark.parametrize("total", range(0, 28))
def test_it_scores_every_phq9_total_with_the_published_band(total):
    result = score("phq9", answers_totalling(total, 9))
    assert (result.total, result.out_of, result.band) == (total, 27, PHQ9_TABLE[total])


@pytest.mark.parametrize("total", range(0, 22))
def test_it_scores_every_gad7_total_with_the_published_band(total):
    result = score("gad7", answers_totalling(total, 7))
    assert (result.total, result.out_of, result.band) == (total, 21, GAD7_TABLE[total])


@pytest.mark.parametrize(("total", "band"), [(4, "Minimal"), (5, "Mild"), (9, "Mild"), (10, "Moderate"),
                                             (14, "Moderate"), (15, "Moderately severe"),
                                             (19, "Moderately severe"), (20, "Severe"), (27, "Severe")])
def test_it_puts_phq9_boundaries_in_the_right_band(total, band):
    assert PHQ9.band(total) == band


@pytest.mark.parametrize(("total", "band"), [(4, "Minimal"), (5, "Mild"), (9, "Mild"), (10, "Moderate"),
                                             (14, "Moderate"), (15, "Severe"), (21, "Severe")])
def test_it_puts_gad7_boundaries_in_the_right_band(total, band):
    assert GAD7.band(total) == band


def test_it_refuses_totals_outside_the_scale():
    with pytest.raises(ValueError):
        PHQ9.band(28)
    with pytest.raises(ValueError):
        GAD7.band(-1)


@pytest.mark.parametrize(("item9", "flagged"), [("0", False), ("1", True), ("2", True), ("3", True)])
def test_it_flags_any_non_zero_answer_to_phq9_item_9(item9, flagged):
    answers = {f"q{n}": "0" for n in range(1, 9)} | {"q9": item9}
    assert score("phq9", answers).self_harm_flag is flagged


def test_it_never_flags_gad7():
    assert score("gad7", {f"q{n}": "3" for n in range(1, 8)}).self_harm_flag is False


def test_it_gives_no_score_for_an_incomplete_or_tampered_questionnaire():
    answers = answers_totalling(12, 9)
    del answers["q4"]
    assert score("phq9", answers) is None
    assert score("phq9", answers_totalling(12, 9) | {"q1": "4"}) is None
    assert score("custom", {}) is None


def test_it_carries_the_published_items_and_answer_options():
    questions = PHQ9.questions()
    assert [q["key"] for q in questions] == [f"q{n}" for n in range(1, 10)] + ["difficulty"]
    assert questions[0]["prompt"] == "Little interest or pleasure in doing things"
    assert questions[8]["prompt"] == "Thoughts that you would be better off dead or of hurting yourself in some way"
    assert [o["label"] for o in questions[0]["options"]] == [
        "Not at all", "Several days", "More than half the days", "Nearly every day"]
    assert questions[-1]["required"] is False
    assert len(GAD7.questions()) == 8
    assert GAD7.questions()[0]["prompt"] == "Feeling nervous, anxious or on edge"
    assert GAD7.instructions == "Over the last 2 weeks, how often have you been bothered by the following problems?"
