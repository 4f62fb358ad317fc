"""The shape of a Slack payload, checked at the HTTP door before Bolt looks inside.

Bolt trusts a parsed body's shape: its own middleware (ignoring self events, the unhandled-request log) and
the listener matchers call `.get` on whatever `event`, `view` or `actions[0]` hold, so `"event": null` or
`"view": []` raised inside Bolt and came back as a 500. Slack never sends such bodies; whoever does gets a 400,
signed or not (Bolt's verification runs after this check, and a malformed body is refused either way).
Only the containers and fields that Bolt and the listeners read are checked; anything else is left alone.
"""

from __future__ import annotations

# The containers Bolt and the listeners reach into, the fields read from them, and the JSON types Slack sends.
_STRING = (str,)
_STRING_OR_NULL = (str, type(None))
_CONTAINERS: dict[str, dict[str, tuple[type, ...]]] = {
    "event": {
        "type": _STRING,
        "subtype": _STRING_OR_NULL,
        "channel": _STRING,
        "channel_type": _STRING,
        "ts": _STRING,
        "thread_ts": _STRING_OR_NULL,
        "event_ts": _STRING,
        "text": _STRING_OR_NULL,
        "bot_id": _STRING_OR_NULL,
        "tab": _STRING,
        "user": (str, dict),
        "message": (dict, type(None)),
        "previous_message": (dict, type(None)),
    },
    "view": {
        "id": _STRING,
        "type": _STRING,
        "callback_id": _STRING,
        "private_metadata": _STRING,
        "hash": _STRING,
        "state": (dict,),
        "team_id": _STRING_OR_NULL,
    },
    "user": {"id": _STRING, "team_id": _STRING_OR_NULL},
    "channel": {"id": _STRING, "name": _STRING_OR_NULL},
    "team": {"id": _STRING, "enterprise_id": _STRING_OR_NULL},
    "enterprise": {"id": _STRING},
    "container": {"type": _STRING, "message_ts": _STRING, "channel_id": _STRING, "thread_ts": _STRING_OR_NULL},
    "message": {"ts": _STRING, "thread_ts": _STRING_OR_NULL, "text": _STRING_OR_NULL},
}
_NULLABLE_CONTAINERS = {"enterprise", "team"}  # Slack sends `"enterprise": null`; Bolt checks these for None
_LISTS: dict[str, dict[str, tuple[type, ...]]] = {
    "actions": {"action_id": _STRING, "block_id": _STRING, "value": _STRING, "action_ts": _STRING, "type": _STRING},
    "authorizations": {"team_id": _STRING_OR_NULL, "enterprise_id": _STRING_OR_NULL, "user_id": _STRING_OR_NULL},
}
_NONEMPTY_LISTS = {"actions"}  # Bolt hands listeners actions[0]; Slack sends at least one, never null
_REQUIRED = {"view": ("type",), "actions": ("action_id",)}  # Bolt indexes these without looking first
_TOP_STRINGS = (
    "type",
    "event_id",
    "team_id",
    "api_app_id",
    "trigger_id",
    "response_url",
    "command",
    "text",
    "user_id",
    "channel_id",
    "callback_id",
    "action_id",
    "block_id",
    "enterprise_id",
)


def malformed(body: object) -> str | None:
    """Why a payload cannot have come from Slack, or None when its shape is one Slack sends."""
    if not isinstance(body, dict):
        return "not an object"
    for key in _TOP_STRINGS:
        if key in body and not isinstance(body[key], _STRING_OR_NULL):
            return f"{key} is not a string"
    for key, fields in _CONTAINERS.items():
        if key not in body or (body[key] is None and key in _NULLABLE_CONTAINERS):
            continue
        if not isinstance(body[key], dict):
            return f"{key} is not an object"
        if any(field not in body[key] for field in _REQUIRED.get(key, ())):
            return f"{key} lacks {', '.join(_REQUIRED[key])}"
        for field, types in fields.items():
            if field in body[key] and not isinstance(body[key][field], types):
                return f"{key}.{field} has the wrong type"
    for key, fields in _LISTS.items():
        if key not in body or (body[key] is None and key not in _NONEMPTY_LISTS):
            continue
        if not isinstance(body[key], list) or not all(isinstance(item, dict) for item in body[key]):
            return f"{key} is not a list of objects"
        if key in _NONEMPTY_LISTS and not body[key]:
            return f"{key} is empty"
        for item in body[key]:
            if any(field not in item for field in _REQUIRED.get(key, ())):
                return f"{key}[] lacks {', '.join(_REQUIRED[key])}"
            for field, types in fields.items():
                if field in item and not isinstance(item[field], types):
                    return f"{key}[].{field} has the wrong type"
    return None
