"""Accuracy on the held-out question set: phrasings the matcher was not tuned on."""

from __future__ import annotations

from pathlib import Path

import pytest
from rapidfuzz import fuzz, process

from bot.content import intents_dir
from bot.engine import Engine
from bot.evaluate import EvalReport, evaluate, load_questions
from bot.nlu.normalize import normalise

QUESTIONS = Path(__file__).resolve().parent / "eval" / "questions.yaml"
# Later sets, each written without seeing the matcher and measured once untouched (set 2: 75.0%, set 3: 84.4%,
# set 4: 83.3%, set 5: 83.0%) before their failures taught general fixes; now development data, kept as floors
# against regressions.
LATER_SETS = {"holdout.yaml": 0.90, "holdout_c.yaml": 0.90, "holdout_d.yaml": 0.85, "holdout_e.yaml": 0.83}


REAL_STYLE = QUESTIONS.parent / "real_a.yaml"
ENCOUNTER = QUESTIONS.parent / "encounter_a.yaml"  # issue 13: fractures, splints, casts, reads, the E/M, HCPCS, PCS
REAL_STYLE_B = QUESTIONS.parent / "real_b.yaml"  # written blind after the reader, for issue 11's headline figure
REAL_STYLE_C = QUESTIONS.parent / "real_c.yaml"  # written blind later still, scored before the verdict work
ENCOUNTER_B = QUESTIONS.parent / "encounter_b.yaml"  # issue 13's second blind set
REAL_STYLE_D = QUESTIONS.parent / "real_d.yaml"  # written blind at eca7e0f, scored before the next session's work
ENCOUNTER_C = QUESTIONS.parent / "encounter_c.yaml"  # issue 13's third blind set, written and scored alongside D
REAL_STYLE_E = QUESTIONS.parent / "real_e.yaml"  # written blind after that session's fixes, scored once at its end
ENCOUNTER_D = QUESTIONS.parent / "encounter_d.yaml"  # issue 13's fourth blind set, written and scored alongside E
REAL_STYLE_F = QUESTIONS.parent / "real_f.yaml"  # written blind at 84018ff, scored before the next session's work
ENCOUNTER_E = QUESTIONS.parent / "encounter_e.yaml"  # issue 13's fifth blind set, written and scored alongside F
REAL_STYLE_G = QUESTIONS.parent / "real_g.yaml"  # written blind during that session, scored once at its end
ENCOUNTER_F = QUESTIONS.parent / "encounter_f.yaml"  # issue 13's sixth blind set, written and scored alongside G
REAL_STYLE_H = QUESTIONS.parent / "real_h.yaml"  # written blind at 36a22c2, scored before the next session's work
ENCOUNTER_G = QUESTIONS.parent / "encounter_g.yaml"  # issue 13's seventh blind set, written and scored alongside H
REAL_STYLE_I = QUESTIONS.parent / "real_i.yaml"  # written blind during that session, scored once at its end
ENCOUNTER_H = QUESTIONS.parent / "encounter_h.yaml"  # issue 13's eighth blind set, written and scored alongside I
REAL_STYLE_J = QUESTIONS.parent / "real_j.yaml"  # written blind at 77a7926, scored untouched during the next session
ENCOUNTER_I = QUESTIONS.parent / "encounter_i.yaml"  # issue 13's ninth blind set, written and scored alongside J
REAL_STYLE_K = QUESTIONS.parent / "real_k.yaml"  # written blind during the session after, scored once untouched
ENCOUNTER_J = QUESTIONS.parent / "encounter_j.yaml"  # issue 13's tenth blind set, written and scored alongside K
REAL_STYLE_L = QUESTIONS.parent / "real_l.yaml"  # written blind at 8778290, scored untouched during the next session
ENCOUNTER_K = QUESTIONS.parent / "encounter_k.yaml"  # issue 13's eleventh blind set, written and scored alongside L
REAL_STYLE_M = QUESTIONS.parent / "real_m.yaml"  # written blind during that session, held unread, scored at its end
ENCOUNTER_L = QUESTIONS.parent / "encounter_l.yaml"  # issue 13's twelfth blind set, written and scored alongside M
REAL_STYLE_N = QUESTIONS.parent / "real_n.yaml"  # written blind at 8367e5b, scored untouched at that session's start
ENCOUNTER_M = QUESTIONS.parent / "encounter_m.yaml"  # issue 13's thirteenth blind set, written and scored alongside N
REAL_STYLE_O = QUESTIONS.parent / "real_o.yaml"  # written blind during that session, held unread, scored at its end
ENCOUNTER_N = QUESTIONS.parent / "encounter_n.yaml"  # issue 13's fourteenth blind set, written and scored alongside O
REAL_STYLE_P = QUESTIONS.parent / "real_p.yaml"  # written blind the next session, a development set
REAL_STYLE_Q = QUESTIONS.parent / "real_q.yaml"  # written blind alongside P, held unread, scored at that session's end
ENCOUNTER_O = QUESTIONS.parent / "encounter_o.yaml"  # issue 13's fifteenth blind set, a development set
ENCOUNTER_P = QUESTIONS.parent / "encounter_p.yaml"  # the sixteenth, held unread alongside Q
ENCOUNTER_SETS = (
    ENCOUNTER,
    ENCOUNTER_B,
    ENCOUNTER_C,
    ENCOUNTER_D,
    ENCOUNTER_E,
    ENCOUNTER_F,
    ENCOUNTER_G,
    ENCOUNTER_H,
    ENCOUNTER_I,
    ENCOUNTER_J,
    ENCOUNTER_K,
    ENCOUNTER_L,
    ENCOUNTER_M,
    ENCOUNTER_N,
    ENCOUNTER_O,
    ENCOUNTER_P,
)


@pytest.mark.parametrize("path", [REAL_STYLE, REAL_STYLE_B], ids=lambda p: p.name)
def test_the_real_style_sets_are_in_the_real_style(path: Path) -> None:
    """Issue 11's bar for a set in the style coders post in: long, case write-ups, several asks, verdicts."""
    questions = load_questions(path)
    words = sorted(len(q.q.split()) for q in questions)
    share = {
        tag: sum(tag in q.tags for q in questions) / len(questions)
        for tag in ("case", "multi", "verdict", "negation", "correction", "section", "deleted", "greeting")
    }
    assert len(questions) >= 300 and words[len(words) // 2] >= 40
    assert share["case"] >= 0.40 and share["multi"] >= 0.15 and share["verdict"] >= 0.20
    assert all(share[t] > 0.03 for t in ("negation", "correction", "section", "deleted", "greeting")), share
    assert all(len(q.asks) >= 1 for q in questions if "multi" in q.tags)


@pytest.mark.parametrize("path", ENCOUNTER_SETS, ids=lambda p: p.name)
def test_the_encounter_sets_cover_their_topics_in_the_real_style(path: Path) -> None:
    """Issue 13's bar: at least 150 questions on the encounter's topics, in the style coders post in."""
    questions = load_questions(path)
    words = sorted(len(q.q.split()) for q in questions)
    topics = {t for q in questions for t in q.tags if t.startswith("topic-")}
    assert len(questions) >= 150 and words[len(words) // 2] >= 40
    assert sum("case" in q.tags for q in questions) / len(questions) >= 0.40
    assert {
        "topic-fracture",
        "topic-splint",
        "topic-cast",
        "topic-supply",
        "topic-xray",
        "topic-em",
        "topic-global",
        "topic-hcpcs",
        "topic-pcs",
    } <= topics, topics


@pytest.fixture(scope="module")
def report(engine: Engine) -> EvalReport:
    return evaluate(engine, load_questions(QUESTIONS))


def test_the_set_is_large_and_held_out() -> None:
    import yaml

    assert len(load_questions(QUESTIONS)) >= 250
    examples = [normalise(e) for f in intents_dir().glob("*.yaml") for e in yaml.safe_load(f.read_text())["examples"]]
    sets = (
        REAL_STYLE,
        REAL_STYLE_B,
        REAL_STYLE_C,
        REAL_STYLE_D,
        REAL_STYLE_E,
        REAL_STYLE_F,
        REAL_STYLE_G,
        REAL_STYLE_H,
        REAL_STYLE_I,
        REAL_STYLE_J,
        REAL_STYLE_K,
        REAL_STYLE_L,
        REAL_STYLE_M,
        REAL_STYLE_N,
        REAL_STYLE_O,
        REAL_STYLE_P,
        REAL_STYLE_Q,
        *ENCOUNTER_SETS,
    )
    for name in ("questions.yaml", *LATER_SETS, *(p.name for p in sets)):
        questions = load_questions(QUESTIONS.parent / name)
        copies = [
            q.q
            for q in questions
            if process.extractOne(normalise(q.q), examples, scorer=fuzz.ratio, score_cutoff=95) is not None
        ]
        assert not copies, f"{name}: questions copied from the intent examples: {copies[:5]}"


def test_overall_accuracy(report: EvalReport) -> None:
    wrong = "\n".join(f"{e.q!r}: {why}" for e, _, why in report.wrong)
    assert report.accuracy >= 0.95, f"{report.accuracy:.1%} correct; wrong answers:\n{wrong}"


def test_nothing_is_fabricated_for_unknown_codes_or_modifiers(report: EvalReport, engine: Engine) -> None:
    for expected in load_questions(QUESTIONS):
        if not expected.answered and expected.intent != "out_of_scope":
            answer = engine.answer(expected.q)
            assert not answer.answered, f"answered a question about something that does not exist: {expected.q!r}"


def test_every_out_of_scope_question_is_declined(engine: Engine) -> None:
    for expected in load_questions(QUESTIONS):
        if expected.intent == "out_of_scope":
            assert not engine.answer(expected.q).answered, expected.q


@pytest.mark.parametrize("name, floor", sorted(LATER_SETS.items()))
def test_later_sets_hold_their_accuracy(engine: Engine, name: str, floor: float) -> None:
    questions = load_questions(QUESTIONS.parent / name)
    report = evaluate(engine, questions)
    wrong = "\n".join(f"{e.q!r}: {why}" for e, _, why in report.wrong)
    assert report.accuracy >= floor, f"{name}: {report.accuracy:.1%} correct; wrong answers:\n{wrong}"
    made_up = [e.q for e, a, _ in report.wrong if a.answered and not e.answered and e.intent != "out_of_scope"]
    assert not made_up, f"answered about something that does not exist: {made_up}"
