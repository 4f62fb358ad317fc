"""bot/render/blocks.py: Slack's limits hold for any answer, and user text can never become markup."""

from __future__ import annotations

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.answer import Answer, SourceRef
from bot.render.blocks import (
    HELPFUL_ACTION,
    MAX_BUTTON_TEXT,
    MAX_MESSAGE_BLOCKS,
    MAX_SECTION_TEXT,
    MAX_VALUE,
    SHARE_ACTION,
    answer_message,
    escape,
    split_text,
    usage_message,
)


def make_answer(text: str, **fields) -> Answer:
    return Answer(**{"question": "q", "intent": "code_lookup", "confidence": 1.0, "answered": True, "text": text, **fields})


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
    # nothing lost or reordered
    assert re.sub(r"\s+", "", "".join(parts)) == re.sub(r"\s+", "", escape(text))
    # every sentence lies wholly inside one section
    for s in re.split(r"(?<=\.)\s+", escape(text)):
        assert any(s.strip() in p for p in parts), s[:80]


def test_a_huge_answer_stays_under_fifty_blocks_and_says_it_was_cut():
    text = "\n".join(f"Line {i} says one complete thing about global days. " * 30 for i in range(400))
    message = answer_message(make_answer(text, suggestions=["a?", "b?"], sources=[
        SourceRef(id="s", title="t", citation="CMS, PFS, 2024", url="https://example.org/x")]), question_id="C1/1.0")
    assert len(message["blocks"]) == MAX_MESSAGE_BLOCKS
    assert all(len(p) <= MAX_SECTION_TEXT for p in sections(message))
    assert "too long" in sections(message)[-1]
    assert message["blocks"][-1]["type"] == "actions"  # the feedback buttons survive the cut


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
    sources = [SourceRef(id=f"s{i}", title=f"T{i}", citation=f"Publisher {i}, Title {i} & more, edition {i} " + "x" * 150,
                         url=f"https://example.org/a?b={i}&c=<d>|e") for i in range(1, 31)]
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
    assert {e["action_id"] for e in elements} >= {HELPFUL_ACTION}


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
