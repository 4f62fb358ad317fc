"""coding-bot: answers medical coders' questions about procedure codes, anesthesia distinctions and modifiers."""

import os

# pydantic looks for plugins through every installed package's entry points on the first model it builds (tens of
# milliseconds of `coding-bot ask` start-up); the bot uses none. An operator who wants one can still set it.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

__version__ = "0.1.0"
