"""The Slack surface: a Bolt app over the engine, served over HTTP (uvicorn) or Socket Mode.

Only `bot.cli` imports this package, and only for `serve` and `manifest`, so the rest of the bot never
loads slack-bolt.
"""

EVENTS_PATH = "/slack/events"  # HTTP mode: events, slash commands and interactivity all arrive here
