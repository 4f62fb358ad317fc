"""answer(question) -> Answer: the one path every question takes, from every surface.

Pure: no Slack and no I/O beyond the read-only knowledge base. The engine extracts entities, scores the
intents, declines when unsure, and hands the rest to one composer per intent; it then turns source ids into
citations so no surface can drop them.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path

from bot.answer import INTENTS, Answer, SourceRef
from bot.content import intents_dir
from bot.kb.store import KnowledgeStore
from bot.nlu.entities import Entities, extract
from bot.nlu.intents import IntentMatcher, IntentScore, load_intents
from bot.nlu.phi import has_phi
from bot.respond import codes, crosswalk, diagnosis, distinction, general, indicators, modifiers
from bot.respond.base import Ask, Reply

MAX_CHARS = 20_000  # longer input is cut before matching: a pasted chart is not a question
FUZZY_WINDOW = 300  # a long pasted note ends with the question: match the intent on its tail
DECLINE_BELOW = 48.0  # intent score (0..100) below which we decline rather than guess
PHI_REMINDER = ("Reminder: your question looked like it held patient details. Please don't post names, "
                "dates of birth, record numbers or contact details in Slack.")

COMPOSERS: dict[str, Callable[[Ask], Reply]] = {
    "code_lookup": codes.lookup,
    "code_search": codes.search,
    "anesthesia_distinction": distinction.compose,
    "modifier_lookup": modifiers.lookup,
    "modifier_check": modifiers.check,
    "payment_indicators": indicators.compose,
    "anesthesia_crosswalk": crosswalk.compose,
    "diagnosis_codes": diagnosis.compose,
    "help": general.help_reply,
    "out_of_scope": general.out_of_scope,
}
_TYPED_COMMAND = re.compile(r"^\s*/[a-z][\w-]*(?=\s|$)", re.I)
_SLACK_MARKUP = re.compile(r"<(?:[@#!][^>|]*)(?:\|([^>]*))?>|<(?:https?|mailto):[^>|]*\|([^>]*)>|<((?:https?|mailto):[^>]*)>")


def clean(question: str) -> str:
    """Drop Slack mentions and broadcasts, keep link labels, drop a slash command typed as text ("/code ?"
    sent as a message), cut to MAX_CHARS."""
    text = _SLACK_MARKUP.sub(lambda m: m.group(1) or m.group(2) or m.group(3) or " ", question[: MAX_CHARS * 2])
    return _TYPED_COMMAND.sub("", text[:MAX_CHARS]).strip()


class Engine:
    def __init__(self, store: KnowledgeStore, intents_folder: Path | None = None):
        self.store = store
        self.matcher = IntentMatcher(load_intents(intents_folder or intents_dir(), INTENTS), set(store.modifiers))

    def answer(self, question: str) -> Answer:
        text = clean(question)
        if text.strip() in ("?", "??", "???"):  # "/code ?": the usual way to ask a tool for help
            return self._answer(question, "help", 1.0, general.help_reply(Ask(text, Entities(), self.store, "help")), False)
        if not re.search(r"[A-Za-z0-9]", text):
            reply = general.help_reply(Ask(text, Entities(), self.store, "help"))
            return self._answer(question, "help", 0.0, Reply(False, ["Ask me a coding question, for example:"],
                                                             suggestions=reply.suggestions), False)
        ent = extract(text, set(self.store.modifiers))
        scores = self.matcher.score(self._fuzzy_view(ent))
        intent, confidence = self._choose(scores)
        if confidence == 0.0:
            reply = Reply(False, ["I'm not sure what you're asking. Closest questions I can answer:"],
                          suggestions=[s.nearest for s in scores[:3] if s.nearest])
        else:
            reply = COMPOSERS[intent](Ask(text, ent, self.store, intent))
            if reply.confidence is not None:
                confidence = min(confidence, reply.confidence)
        return self._answer(question, intent, confidence, reply, has_phi(text))

    def _fuzzy_view(self, ent: Entities) -> Entities:
        if len(ent.masked) <= FUZZY_WINDOW:
            return ent
        tail = ent.masked[-FUZZY_WINDOW:]
        view = Entities(**{**ent.__dict__, "masked": tail[tail.find(" ") + 1 :]})
        return view

    @staticmethod
    def _choose(scores: list[IntentScore]) -> tuple[str, float]:
        best, second = scores[0], scores[1]
        if best.score < DECLINE_BELOW:
            return best.intent, 0.0
        strength = min(1.0, (best.score - DECLINE_BELOW) / 40 + 0.4)
        margin = min(1.0, 0.5 + (best.score - second.score) / 20)
        return best.intent, round(max(0.01, strength * margin), 3)

    def _answer(self, question: str, intent: str, confidence: float, reply: Reply, phi: bool) -> Answer:
        lines = list(reply.lines)
        if phi:
            lines.append(PHI_REMINDER)
        sources = [self.cite(sid) for sid in reply.sources if sid in self.store.sources]
        return Answer(
            question=question[:MAX_CHARS],
            intent=intent,  # type: ignore[arg-type]
            confidence=confidence if reply.answered else min(confidence, 0.5),
            answered=reply.answered,
            codes=reply.codes,
            modifiers=reply.modifiers,
            text="\n".join(lines).replace("&", "and"),
            sources=sources,
            suggestions=reply.suggestions,
            phi_detected=phi,
        )

    def cite(self, source_id: str) -> SourceRef:
        s = self.store.sources[source_id]
        return SourceRef(id=s.id, title=s.title, citation=f"{s.publisher}, {s.title}, {s.edition}", url=s.url)


_engine: Engine | None = None
_lock = threading.Lock()


def default_engine() -> Engine:
    """The engine over the built knowledge base named by the settings; built once, shared by all threads."""
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                from bot.config import load_settings

                _engine = Engine(KnowledgeStore(load_settings().kb_path))
    return _engine


def answer(question: str) -> Answer:
    return default_engine().answer(question)
