"""coding-bot: answers medical coders' questions about procedure codes, anesthesia distinctions and modifiers."""

__version__ = "0.1.0"
