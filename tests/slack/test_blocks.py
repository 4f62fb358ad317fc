"""bot/render/blocks.py: Slack's limits hold for any answer, and user text can never become markup."""

from __future__ import annotations

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.answer import Answer, SourceRef
from bot.render.blocks import (
    FEEDBACK_ACTION,
    MAX_BUTTON_TEXT,
    MAX_CONTEXT_TEXT,
    MAX_MESSAGE_BLOCKS,
    MAX_MESSAGE_TEXT,
    MAX_SECTION_TEXT,
    MAX_VALUE,
    SHARE_ACTION,
    TOO_LONG,
    _text_size,
    answer_message,
    escape,
    parse_feedback,
    split_text,
    usage_message,
)


def make_answer(text: str, **fields) -> Answer:
    return Answer(
        **{"question": "q", "intent": "code_lookup", "confidence": 1.0, "answered": True, "text": text, **fields}
    )


def sections(message: dict) -> list[str]:
    return [b["text"]["text"] for b in message["blocks"] if b["type"] == "section"]


def buttons(message: dict) -> list[dict]:
    return [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]


words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789*&<>-", min_size=1, max_size=12)
# at most 40 words of 12 characters: even all "&" (5 characters escaped) a sentence fits one section
sentence = st.lists(words, min_size=1, max_size=40).map(lambda ws: " ".join(ws) + ".")
line = st.lists(sentence, min_size=1, max_size=40).map(" ".join)
long_text = st.lists(line, min_size=1, max_size=12).map("\n".join)


@settings(max_examples=60, deadline=None)
@given(long_text)
def test_long_answers_split_between_sentences_within_limits(text):
    message = answer_message(make_answer(text), question_id="C1/1.0")
    parts = sections(message)
    assert len(message["blocks"]) <= MAX_MESSAGE_BLOCKS
    assert all(0 < len(p) <= MAX_SECTION_TEXT for p in parts)
    assert _text_size(message["blocks"]) <= MAX_MESSAGE_TEXT
    kept = parts[:-1] if parts[-1] == TOO_LONG else parts
    # nothing lost or reordered (up to the message's whole budget, after which the rest is said to be cut)
    whole = re.sub(r"\s+", "", escape(text))
    shown = re.sub(r"\s+", "", "".join(kept))
    assert whole == shown if parts[-1] != TOO_LONG else whole.startswith(shown)
    # every sentence lies wholly inside one section, up to the cut
    inside = [any(s.strip() in p for p in kept) for s in re.split(r"(?<=\.)\s+", escape(text))]
    assert inside == sorted(inside, reverse=True) and (all(inside) or parts[-1] == TOO_LONG)


def test_a_huge_answer_stays_under_fifty_blocks_and_says_it_was_cut():
    text = "\n".join(f"Line {i} says one complete thing about global days. " * 30 for i in range(400))
    message = answer_message(
        make_answer(
            text,
            suggestions=["a?", "b?"],
            sources=[SourceRef(id="s", title="t", citation="CMS, PFS, 2024", url="https://example.org/x")],
        ),
        question_id="C1/1.0",
    )
    assert len(message["blocks"]) <= MAX_MESSAGE_BLOCKS
    assert all(len(p) <= MAX_SECTION_TEXT for p in sections(message))
    assert _text_size(message["blocks"]) <= MAX_MESSAGE_TEXT  # Slack refused ~12,000 characters of blocks
    assert "too long" in sections(message)[-1]
    assert message["blocks"][-1]["type"] == "context_actions"  # the feedback buttons survive the cut


def test_a_single_sentence_longer_than_a_section_is_split_between_words():
    text = " ".join(["word"] * 2000) + "."
    parts = split_text(text)
    assert len(parts) == 4 and all(len(p) <= MAX_SECTION_TEXT for p in parts)
    assert all(re.fullmatch(r"(word )*word\.?", p) for p in parts)


def test_split_never_breaks_an_escaped_entity():
    parts = split_text(escape("&" * 5000))
    assert all(re.fullmatch(r"(&amp;)+", p) for p in parts)


def test_user_text_is_escaped_but_bold_is_kept():
    answer = make_answer("*27252*: <!channel> & <@U1> <script>", codes=["27252<x>"], suggestions=["<!here> now?"])
    message = answer_message(answer, question_id="C1/1.0", echo_question=True)
    shown = json.dumps([message["text"], message["blocks"]])
    assert "*27252*: &lt;!channel&gt; &amp; &lt;@U1&gt; &lt;script&gt;" in sections(message)[0]
    assert "27252&lt;x&gt;" in shown
    assert "<!channel" not in shown and "<@U1" not in shown
    assert all(e["text"]["type"] == "plain_text" for e in buttons(message))  # labels are never parsed for mentions
    assert message["text"].startswith("27252: &lt;!channel&gt;")  # the fallback is plain: no bold markers


def test_sources_are_numbered_links_and_citations_are_whole():
    sources = [
        SourceRef(
            id=f"s{i}",
            title=f"T{i}",
            citation=f"Publisher {i}, Title {i} & more, edition {i} " + "x" * 150,
            url=f"https://example.org/a?b={i}&c=<d>|e",
        )
        for i in range(1, 31)
    ]
    sources.append(SourceRef(id="nourl", title="T", citation="No URL source, 2024"))
    message = answer_message(make_answer("Answer.", sources=sources), question_id="C1/1.0")
    contexts = [e["text"] for b in message["blocks"] if b["type"] == "context" for e in b["elements"]]
    assert all(len(c) <= 2000 for c in contexts) and all(len(b.get("elements", [])) <= 10 for b in message["blocks"])
    joined = "\n".join(contexts)
    assert "<https://example.org/a?b=1&amp;c=&lt;d&gt;%7Ce|[1]> Publisher 1, Title 1 &amp; more" in joined
    assert "[31] No URL source, 2024" in joined
    for i in range(1, 31):  # no citation is split between two elements
        assert sum(f"Publisher {i}, Title {i} " in c for c in contexts) == 1


def test_buttons_respect_label_and_value_limits():
    long_question = "why & " * 300  # 1,800 characters, 2,700 once escaped
    answer = make_answer("Answer.", question=long_question, suggestions=["a very long suggested question " * 10] * 6)
    message = answer_message(answer, question_id="C1/1.0", share=True)
    elements = buttons(message)
    assert sum(e["action_id"].startswith("suggestion_") for e in elements) == 4
    assert all(len(e["text"]["text"]) <= MAX_BUTTON_TEXT and len(e["value"]) <= MAX_VALUE for e in elements)
    assert FEEDBACK_ACTION in json.dumps(message["blocks"][-1])


def test_a_question_too_long_for_the_share_button_gets_none_and_is_told_so():
    """Cut to fit the button's value and asked again, a long pasted note could share a different answer."""
    fits, too_long = "why " * 400, "why & " * 300
    shared = answer_message(make_answer("Answer.", question=fits), question_id="C1/1.0", share=True)
    assert [e["value"] for e in buttons(shared) if e["action_id"] == SHARE_ACTION] == [fits]
    unshared = answer_message(make_answer("Answer.", question=too_long), question_id="C1/1.0", share=True)
    assert SHARE_ACTION not in json.dumps(unshared)
    assert "too long to share" in json.dumps(unshared)


def test_share_button_only_for_answered_questions():
    declined = make_answer("I'm not sure.", answered=False, suggestions=["what is 27252?"])
    message = answer_message(declined, question_id="C1/1.0", share=True)
    assert SHARE_ACTION not in json.dumps(message)
    assert "Did you mean" in json.dumps(message)


def test_usage_lists_the_examples_escaped():
    usage = usage_message("/code", ["what is 27252?", "a <b> & c"])
    shown = json.dumps(usage["blocks"])
    assert "`/code what is 27252?`" in shown and "a &lt;b&gt; &amp; c" in shown
    assert "`/code &lt;question&gt;`" in shown and "<question>" not in shown


# issue 10
def test_a_500_code_answer_names_twenty_and_counts_the_rest():
    codes = [f"{27000 + i}" for i in range(500)]
    message = answer_message(
        make_answer("Many codes.", codes=codes, modifiers=[f"M{i}" for i in range(200)]), question_id="C1/1.0"
    )
    contexts = [e["text"] for b in message["blocks"] if b["type"] == "context" for e in b["elements"]]
    facts = next(c for c in contexts if c.startswith("*Codes:*"))
    assert len(facts) <= MAX_CONTEXT_TEXT and "27019 and 480 more" in facts and "*Modifiers:*" in facts
    assert "27020" not in facts
    assert _text_size(message["blocks"]) <= MAX_MESSAGE_TEXT


def test_the_whole_message_stays_under_slacks_limit_for_blocks():
    text = "\n".join(f"Paragraph {i}: " + "a sentence about global days. " * 90 for i in range(14))  # 40,000
    message = answer_message(make_answer(text, suggestions=["what is 27252?"] * 4), question_id="C1/1.0")
    assert _text_size(message["blocks"]) <= MAX_MESSAGE_TEXT and sections(message)[-1] == TOO_LONG
    assert len(message["text"]) <= 3000


def test_feedback_uses_slacks_own_feedback_buttons():
    message = answer_message(make_answer("Answer."), question_id="C1/1700000000.000100")
    (block,) = [b for b in message["blocks"] if b["type"] == "context_actions"]
    (element,) = block["elements"]
    assert element["type"] == "feedback_buttons" and element["action_id"] == FEEDBACK_ACTION
    assert parse_feedback(element["positive_button"]["value"]) == (True, "C1/1700000000.000100")
    assert parse_feedback(element["negative_button"]["value"]) == (False, "C1/1700000000.000100")
    assert parse_feedback("something else") is None


def test_a_shared_answer_says_who_shared_it_and_leaves_the_question_out():
    answer = make_answer("27252 has 090 global days.", question="pt Ann Lee MRN 88442211 global days 27252?")
    message = answer_message(answer, question_id="C1/1.0", shared_by="U0HUMAN", echo_question=True)
    shown = json.dumps(message)
    assert "<@U0HUMAN> shared this answer" in shown and "88442211" not in shown and "Ann Lee" not in shown


def test_a_code_the_answer_rules_out_is_shown_as_not_reported_never_among_the_codes_to_bill():
    message = answer_message(
        make_answer("25622. Not reported separately (29085): ...", codes=["25622", "29085"], not_reported=["29085"]),
        question_id="C1/1.0",
    )
    contexts = [e["text"] for b in message["blocks"] if b["type"] == "context" for e in b["elements"]]
    facts = next(c for c in contexts if c.startswith("*Codes:*"))
    assert "25622" in facts and "*Not reported:* 29085" in facts
    assert "29085" not in facts.split("*Not reported:*")[0]
