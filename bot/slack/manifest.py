"""The Slack app manifest an admin pastes into api.slack.com/apps ("From a manifest").

Generated rather than kept as a file so the slash command name and the request URL always match the
running bot's settings. Scopes are the fewest that the listeners need.
"""

from __future__ import annotations

from bot.config import Settings
from bot.slack import EVENTS_PATH

BOT_SCOPES = [
    "app_mentions:read",  # app_mention
    "chat:write",  # answers, the PHI reminder (chat.postEphemeral), shared answers
    "commands",  # the slash command
    "im:history",  # message.im
]
# im:read and im:write were asked for and never used: the bot answers in DMs people open (chat.postMessage to the
# event's channel needs chat:write only) and never opens or lists them (conversations.open / .info / .list).
# views.publish (App Home) and views.open (the 👎 modal) need no scope.
BOT_EVENTS = ["app_mention", "message.im", "app_home_opened"]
ASSISTANT_SCOPES = ["assistant:write"]  # assistant.threads.setStatus and .setSuggestedPrompts
ASSISTANT_EVENTS = ["assistant_thread_started", "assistant_thread_context_changed"]


def manifest(
    settings: Settings, socket: bool, url: str | None = None, *, assistant: bool = False, org_deploy: bool = False
) -> dict:
    """Socket Mode needs no URL; HTTP mode needs the public base URL (or the full /slack/events URL).
    `assistant` adds Slack's AI-app surface (the split view, suggested prompts, a status while answering);
    `org_deploy` makes the app installable across an Enterprise Grid organisation."""
    if not socket and not url:
        raise ValueError("HTTP mode needs the public URL Slack will call")
    request_url = None if socket else _events_url(url or "")
    command = {
        "command": settings.slash_command,
        "description": "Ask a medical coding question",
        "usage_hint": "[question] or help",
        "should_escape": False,
    }
    events: dict = {"bot_events": BOT_EVENTS + (ASSISTANT_EVENTS if assistant else [])}
    interactivity: dict = {"is_enabled": True}
    if request_url:
        command["url"] = request_url
        events["request_url"] = request_url
        interactivity["request_url"] = request_url
    features: dict = {
        # messages_tab_read_only_enabled false: people can write to the bot, so message.im arrives
        "app_home": {"home_tab_enabled": True, "messages_tab_enabled": True, "messages_tab_read_only_enabled": False},
        "bot_user": {"display_name": "codebot", "always_online": True},
        "slash_commands": [command],
    }
    if assistant:
        features["assistant_view"] = {
            "assistant_description": "Ask a medical coding question; every answer cites "
            "its source. Never post patient identifiers."
        }
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": "CodeBot",
            "description": "Answers medical coding questions with the rule and its source",
            "long_description": "Ask about CPT, HCPCS and ICD-10-CM codes, anesthesia distinctions, modifiers and CMS "
            "fee schedule indicators. Every answer cites its source and edition. Never post "
            "patient identifiers.",
        },
        "features": features,
        "oauth_config": {"scopes": {"bot": BOT_SCOPES + (ASSISTANT_SCOPES if assistant else [])}},
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": org_deploy,
            "socket_mode_enabled": socket,
            "token_rotation_enabled": False,
        },
    }


def _events_url(url: str) -> str:
    url = url.rstrip("/")
    return url if url.endswith(EVENTS_PATH) else url + EVENTS_PATH
