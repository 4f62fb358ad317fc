"""Property tests against the running HTTP server: whatever arrives at POST /slack/events, never a 5xx, the
health check keeps answering, and nothing the bot sends to Slack broadcasts or mentions anyone but the asker.

One server (the `server` fixture) takes every example of a test, as a real one would take every request.
Shapes covered: arbitrary bytes, arbitrary JSON, Slack-shaped envelopes with arbitrary contents, arbitrary
form bodies, arbitrary text in a signed app_mention and in a signed slash command, odd content types and
missing headers.
"""

from __future__ import annotations

import itertools
import json
import re
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from bot.render.blocks import FEEDBACK_ACTION, HELPFUL_ACTION, SHARE_ACTION, UNHELPFUL_ACTION
from bot.slack.listeners.commands import HELP_WORDS
from tests.slack.fake_slack import HUMAN, FakeSlack, app_mention, event_callback, slash_command_body
from tests.slack.harness import Reply, ServerThread, request, signed_headers

FUZZ = settings(
    max_examples=80,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# a broadcast, a user group, or a user other than the asker: each would notify people who did not ask
FORBIDDEN = re.compile(rf"<!(?:channel|here|everyone|subteam)|<@(?!{HUMAN}[>|])", re.IGNORECASE)

CONTENT_TYPES = st.sampled_from(
    [
        None,
        "",
        "application/json",
        "application/x-www-form-urlencoded",
        "text/plain",
        "application/octet-stream",
        "multipart/form-data; boundary=xyz",
        "application/json; charset=utf-16",
        "application/x-www-form-urlencoded; charset=latin-1",
        "application/JSON",
        "*/*",
        "application/json, text/plain",
    ]
)
HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20)
SIGNED_HEADERS = ["Content-Type", "X-Slack-Request-Timestamp", "X-Slack-Signature"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
# Slack's own keys, so the arbitrary contents reach Bolt's matchers and the listeners, not just the parser
ENVELOPE_TYPES = [
    "event_callback",
    "url_verification",
    "block_actions",
    "view_submission",
    "view_closed",
    "shortcut",
    "message_action",
    "app_rate_limited",
    "block_suggestion",
    "interactive_message",
]
EVENT_TYPES = ["app_mention", "message", "app_home_opened", "reaction_added"]
events = st.fixed_dictionaries(
    {"type": st.sampled_from(EVENT_TYPES)},
    optional={
        "text": st.text(max_size=60),
        "user": st.sampled_from([HUMAN, "U0OTHER", ""]) | json_values,
        "channel": st.sampled_from(["C0CHAN", "D0DM"]) | json_values,
        "ts": st.just("1700000000.000100") | json_values,
        "thread_ts": json_values,
        "channel_type": st.sampled_from(["im", "channel"]) | json_values,
        "subtype": st.none() | st.sampled_from(["bot_message", "message_changed"]) | json_values,
        "bot_id": json_values,
        "tab": st.sampled_from(["home", "messages"]) | json_values,
        "event_ts": json_values,
    },
)
envelopes = st.fixed_dictionaries(
    {"type": st.sampled_from(ENVELOPE_TYPES) | json_values},
    optional={
        "event": events | json_values,
        "event_id": st.text(max_size=10) | json_values,
        "team_id": st.just("T0TEAM") | json_values,
        "challenge": json_values,
        "user": st.fixed_dictionaries({"id": st.just(HUMAN) | json_values}) | json_values,
        "channel": st.fixed_dictionaries({"id": st.just("C0CHAN") | json_values}) | json_values,
        "actions": st.lists(
            st.fixed_dictionaries(
                {
                    "action_id": st.sampled_from(
                        [SHARE_ACTION, FEEDBACK_ACTION, HELPFUL_ACTION, UNHELPFUL_ACTION, "suggestion_0"]
                    )
                    | json_values,
                    "value": json_values,
                    "action_ts": json_values,
                }
            ),
            max_size=2,
        )
        | json_values,
        "view": json_values,
        "container": json_values,
        "message": json_values,
        "trigger_id": json_values,
        "authorizations": json_values,
        "api_app_id": json_values,
        "token": json_values,
    },
)
# the same envelopes with every field of the type Slack sends, so the examples get past the shape check and
# reach Bolt's matchers and the listeners (mentions, DMs, App Home, buttons, modals)
words = st.text(max_size=40) | st.sampled_from(["", HUMAN, "C0CHAN", "D0DM", "1700000000.000100", "27252"])
typed_events = st.fixed_dictionaries(
    {"type": st.sampled_from(EVENT_TYPES)},
    optional={
        "text": words,
        "user": words,
        "channel": words,
        "ts": words,
        "thread_ts": words,
        "event_ts": words,
        "channel_type": st.sampled_from(["im", "channel"]) | words,
        "subtype": st.none() | words,
        "tab": words,
    },
)
typed_actions = st.fixed_dictionaries(
    {
        "action_id": st.sampled_from([SHARE_ACTION, FEEDBACK_ACTION, HELPFUL_ACTION, UNHELPFUL_ACTION, "suggestion_0"])
        | words
    },
    optional={"value": words, "action_ts": words, "block_id": words, "type": st.just("button")},
)
typed_envelopes = st.one_of(
    st.fixed_dictionaries(
        {
            "type": st.just("event_callback"),
            "event": typed_events,
            "event_id": st.builds("EvTyped{}".format, st.integers(0, 10**9)),
        },
        optional={"team_id": words, "api_app_id": words},
    ),
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(["block_actions", "view_submission", "view_closed"]),
            "user": st.fixed_dictionaries({"id": words}),
            "trigger_id": words,
        },
        optional={
            "actions": st.lists(typed_actions, max_size=2),
            "channel": st.fixed_dictionaries({"id": words}),
            "container": st.fixed_dictionaries({}, optional={"message_ts": words, "is_ephemeral": st.booleans()}),
            "message": st.fixed_dictionaries({"ts": words}, optional={"thread_ts": words}),
            "view": st.fixed_dictionaries(
                {
                    "type": st.just("modal"),
                    "callback_id": st.just("feedback_reason") | words,
                    "private_metadata": words,
                },
                optional={"state": st.fixed_dictionaries({"values": json_values})},
            ),
        },
    ),
)
FORM_KEYS = [
    "payload",
    "command",
    "text",
    "user_id",
    "channel_id",
    "trigger_id",
    "token",
    "team_id",
    "ssl_check",
    "api_app_id",
    "enterprise_id",
    "is_enterprise_install",
]
forms = st.dictionaries(
    st.sampled_from(FORM_KEYS) | st.text(max_size=10),
    st.text(max_size=40)
    | st.sampled_from(["/code", "/other", "1", "true"])
    | json_values.map(json.dumps)
    | envelopes.map(json.dumps),
    max_size=6,
)

_ids = itertools.count()


class Checker:
    """Sends one example, then checks the server and everything the bot has sent to the fake Web API so far."""

    def __init__(self, server: ServerThread, fake: FakeSlack):
        self.server, self.fake, self.checked = server, fake, 0

    def post(self, body: str | bytes, headers: dict[str, str]) -> Reply:
        reply = request(self.server.port, "POST", "/slack/events", body, headers)
        assert reply.status < 500, (reply.status, reply.text, body, headers)
        if currently_in_test_context():
            event(f"HTTP {reply.status}")  # pytest --hypothesis-show-statistics: how far examples got
        clean(reply.text, "the HTTP response")
        health = request(self.server.port, "GET", "/healthz")
        assert health.status == 200, health
        self.check_calls()
        return reply

    def check_calls(self) -> None:
        calls = self.fake.calls[self.checked :]
        self.checked += len(calls)
        for call in calls:
            clean(json.dumps(call.body, ensure_ascii=False), call.method)


def clean(sent: str, where: str) -> None:
    found = FORBIDDEN.search(sent)
    assert found is None, f"{where} carries {found.group()!r}: {sent[:2000]}"


def vary(headers: dict[str, str], drop: list[str], content_type: str | None, keep_type: bool) -> dict[str, str]:
    out = {k: v for k, v in headers.items() if k not in drop}
    if not keep_type:
        out.pop("Content-Type", None)
        if content_type is not None:
            out["Content-Type"] = content_type
    return out


@pytest.fixture
def checker(server: ServerThread, fake_slack: FakeSlack):
    check = Checker(server, fake_slack)
    yield check
    server.stop()  # every listener has finished: what it sent is checked too
    check.check_calls()


@FUZZ
@given(
    body=st.binary(max_size=300),
    signed=st.booleans(),
    drop=st.lists(st.sampled_from(SIGNED_HEADERS), unique=True),
    content_type=CONTENT_TYPES,
    keep_type=st.booleans(),
)
def test_arbitrary_bytes(checker, body, signed, drop, content_type, keep_type):
    headers = signed_headers(body, content_type or "application/octet-stream") if signed else {}
    checker.post(body, vary(headers, drop, content_type, keep_type or not signed))


@FUZZ
@given(
    value=json_values | envelopes | typed_envelopes,
    drop=st.lists(st.sampled_from(SIGNED_HEADERS), unique=True, max_size=1),
    content_type=CONTENT_TYPES,
    keep_type=st.booleans(),
    retry=st.none() | HEADER_TEXT,
)
def test_arbitrary_json(checker, value, drop, content_type, keep_type, retry):
    body = json.dumps(value, ensure_ascii=bool(next(_ids) % 2))
    headers = vary(signed_headers(body, "application/json"), drop, content_type, keep_type)
    if retry is not None:
        headers.update({"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": retry})
    checker.post(body, headers)


@FUZZ
@given(form=forms, content_type=CONTENT_TYPES, keep_type=st.booleans())
def test_arbitrary_form(checker, form, content_type, keep_type):
    if "response_url" in form:  # the bot answers there: keep it on the fake
        form["response_url"] = checker.fake.response_url(f"T0TEAM/{next(_ids)}/form")
    body = urlencode(form)
    checker.post(body, vary(signed_headers(body, "application/x-www-form-urlencoded"), [], content_type, keep_type))


@FUZZ
@given(
    text=st.text(max_size=200)
    | st.builds(
        "{} {}".format,
        st.sampled_from(
            [
                "<!channel>",
                "<!here>",
                "<!everyone>",
                "<@U0OTHER>",
                "<!subteam^S123>",
                f"<@{HUMAN}>",
                "<@U0BOT>",
                "&lt;!here&gt;",
            ]
        ),
        st.text(max_size=60),
    ),
    in_thread=st.booleans(),
)
def test_arbitrary_text_in_a_mention(checker, text, in_thread):
    n = next(_ids)
    ts = f"1700000002.{n:06d}"
    event = app_mention(text, ts=ts, thread_ts=f"1700000001.{n:06d}" if in_thread else None)
    body = json.dumps(event_callback(event, event_id=f"EvFuzz{n}"))
    assert checker.post(body, signed_headers(body)).status == 200
    thread = event.get("thread_ts") or ts  # each example has its own: the reply (or apology) lands there
    checker.fake.wait_for("chat.postMessage", where=lambda c: c.body.get("thread_ts") == thread)
    checker.check_calls()


@FUZZ
@given(
    text=st.text(max_size=200)
    | st.sampled_from(sorted(HELP_WORDS))
    | st.builds(
        "{} 27252".format,
        st.sampled_from(["<!channel>", "<!here|here>", "<!everyone>", "<@U0OTHER>", "<!subteam^S123|@coders>"]),
    )
)
def test_arbitrary_text_in_a_slash_command(checker, text):
    n = next(_ids)
    url = checker.fake.response_url(f"T0TEAM/{n}/cmd")
    body = slash_command_body(text, url)
    reply = checker.post(body, signed_headers(body))
    assert reply.status == 200
    if text.strip().lower() in HELP_WORDS:
        assert "blocks" in json.loads(reply.text)  # the usage comes back in the ack itself
        return
    checker.fake.wait_for("response_url", where=lambda c: c.path.endswith(f"/{n}/cmd"))
    checker.check_calls()


FOUND = [  # what the fuzzer found answering 500 before bot.slack.payloads and the guard in serve.py
    b"\x80",  # not UTF-8
    b"{",  # not JSON
    b"[1]",  # JSON, not an object
    b'{"type": "event_callback", "view": null}',
    b'{"type": "event_callback", "event": null}',
    b'{"type": "block_actions", "user": {"id": ""}, "trigger_id": "", "actions": []}',
    b'{"type": "view_submission", "user": {"id": ""}, '
    b'"view": {"callback_id": "feedback_reason", "private_metadata": ""}}',
]


@pytest.mark.parametrize("body", FOUND)
def test_what_the_fuzzer_found_is_a_400(checker, body):
    assert checker.post(body, signed_headers(body, "application/json")).status == 400
