"""answer(question) -> Answer: the one path every question takes, from every surface.

Pure: no Slack and no I/O beyond the read-only knowledge base. The reader turns the question into a Case once;
each ask of the Case is matched to an intent and decided by that intent's composer from the Case and the
knowledge base alone; the engine joins the replies in the order asked and turns source ids into citations so
no surface can drop them.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

from bot.answer import INTENTS, Answer, AskAnswer, Intent, SourceRef, Verdict
from bot.kb.store import KnowledgeStore
from bot.nlu.case import Case, CaseAsk, Fact
from bot.nlu.intents import AskView, IntentDef, IntentMatcher, IntentScore, load_intents
from bot.nlu.lexicon import Match, compile_lexicon, load_index
from bot.nlu.phi import use_ordinary_words
from bot.nlu.reader import Reader, by_this_reader
from bot.nlu.tokens import words
from bot.respond import (
    codes,
    crosswalk,
    diagnosis,
    distinction,
    dme,
    encounter,
    general,
    indicators,
    modifiers,
    supplies,
    verdict,
)
from bot.respond.base import Ask, Reply, is_held, is_sedation_code
from bot.respond.retrieve import unknown_code

FUZZY_WINDOW = 300  # a long pasted note is matched on its question sentences, or else on its tail
DECLINE_BELOW = 48.0  # intent score (0..100) below which we decline rather than guess
MAX_ASKS = 4  # a message asking more than this gets its first four answered and is told so
SOURCES_PER_ASK = 3  # citations shown with each ask; the rest are one step away (more_sources)
PHI_REMINDER = (
    "Reminder: your question looked like it held patient details. Please don't post names, "
    "dates of birth, record numbers or contact details in Slack."
)

AROUND_THE_CODE = (
    "code_search",
    "anesthesia_distinction",
    "code_lookup",
    "payment_indicators",
    "modifier_check",
)  # intents whose answer the encounter rules complete
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


class Engine:
    def __init__(self, store: KnowledgeStore, intents_folder: Path | None = None):
        self.store = store
        if store.ordinary_words is not None:
            use_ordinary_words(store.ordinary_words)
        stored = by_this_reader(store.lexicon_index_json)  # compiled at build: reused only by the same reading code
        lexicon = (
            load_index(json.loads(store.lexicon_json), stored["index"])
            if stored is not None
            else compile_lexicon(json.loads(store.lexicon_json))
        )
        curated = frozenset(store.modifiers)
        self.sides = {m.code: m.side for m in store.modifiers.values() if m.side}
        self.reader = Reader(
            lexicon,
            curated | store.hcpcs_modifier_codes,
            frozenset(m for m in curated if not m.isdigit()),
            store.known_word,
            self.sides,
        )
        intents = (
            load_intents(intents_folder, INTENTS)
            if intents_folder
            else [IntentDef.model_validate(d) for d in json.loads(store.intents_json)]
        )
        masks = by_this_reader(store.intent_masks_json)  # masked at build: reused only by the same reading code
        self.matcher = IntentMatcher(intents, self.reader.mask, masks)

    def answer(self, question: str) -> Answer:
        case = self.reader.read(question)
        if case.text.strip() in ("?", "??", "???"):  # "/code ?": the usual way to ask a tool for help
            return self._answer(
                question, case, [("help", 1.0, general.help_reply(self._ask(case, None, "help")), None)]
            )
        if not re.search(r"[A-Za-z0-9]", case.text):
            reply = general.help_reply(self._ask(case, None, "help"))
            return self._answer(
                question,
                case,
                [
                    (
                        "help",
                        0.0,
                        Reply(False, ["Ask me a coding question, for example:"], suggestions=reply.suggestions),
                        None,
                    )
                ],
            )
        if case.only_thanks:
            return self._answer(question, case, [("help", 1.0, general.thanks_reply(), None)])
        if not case.asks:  # a greeting and nothing else: say what to ask
            return self._answer(
                question, case, [("help", 1.0, general.help_reply(self._ask(case, None, "help")), None)]
            )
        parts = []
        earlier: list[str] = []
        for item in case.asks[:MAX_ASKS]:
            view = self.view(case, item, earlier)
            intent, confidence, scores = self._classify(view)
            gaps = self._gaps(item)
            rules = [k[5:] for k in sorted(item.kinds) if k.startswith("rule:") and k[5:] in self.store.guidance]
            if gaps:  # "MUE for 27252?": what we do not hold is said so, never answered with something else
                reply = general.gap_reply(self.store, gaps)
                for line in general.rule_reply(self.store, rules).lines if rules else []:
                    reply.detail(line)  # "base units for 01620, then time?": the value is not held, the method is
                parts.append(("out_of_scope", 1.0, reply, item))
                continue
            named = list(dict.fromkeys(item.own_codes or item.codes))
            unknown = [c for c in named if self._unknown(c)]
            if unknown and len(unknown) == len(named):  # "27251 billed for a hip: is that a real code?"
                reply = Reply(answered=False)
                for code in unknown:
                    unknown_code(reply, self.store, code, "what is {code}?")
                parts.append((intent, 0.9, reply, item))  # what was asked of it; the answer: it does not exist
                continue
            if rules:  # "how are anesthesia time units counted": the guidance record that states the rule
                reply = general.rule_reply(self.store, rules)
                parts.append((intent if intent != "out_of_scope" else "anesthesia_crosswalk", 0.9, reply, item))
                continue
            if confidence == 0.0:
                reply = Reply(
                    False,
                    ["I'm not sure what you're asking. Closest questions I can answer:"],
                    suggestions=[s.nearest for s in scores[:3] if s.nearest],
                )
            else:
                ask = Ask(case, item, self.store, intent, earlier, view.kinds)
                reply = COMPOSERS[intent](ask)
                if intent in AROUND_THE_CODE:  # the splint, the supplies, the read, the hand-off beside the code
                    reply, about_services = encounter.around(ask, reply)
                    if about_services:  # the encounter's services answered it: which codes to report, or
                        # whether the modifier asked about fits one that is reported ("bill 73110-26 for that read?")
                        judged = bool(item.modifiers or "which_modifier" in item.kinds)
                        reported = not set(item.own_codes) & set(reply.ruled_out)
                        intent = "modifier_check" if judged and reported else "code_search"
                if reply.confidence is not None:
                    confidence = min(confidence, reply.confidence)
                confidence = round(confidence * self._certainty(case, item, reply), 3)
                self._give_verdict(case, item, reply)
                if reply.verdict == "no" and intent in ("code_search", "anesthesia_distinction"):
                    # the procedure code to report leads, the rejected proposal follows ("not 26705; report 26700")
                    lead = [c for c in reply.picked if c in self.store.codes and self.store.codes[c].body_site]
                    reply.codes = list(dict.fromkeys([*lead, *reply.codes]))
                earlier = earlier or reply.picked or reply.codes[:1]
            parts.append(("out_of_scope" if reply.outside else intent, confidence, reply, item))
        if len(case.asks) > MAX_ASKS:
            parts[-1][2].say(
                f"You asked {len(case.asks)} things; I answered the first {MAX_ASKS}. Ask the rest separately."
            )
        return self._answer(question, case, self._distinct(parts))

    def _unknown(self, code: str) -> bool:
        """A CPT or HCPCS code in no code set we hold (a deleted code we know is not unknown): never answered as
        if it were another code."""
        return bool(re.fullmatch(r"\d{4}[0-9A-Z]|[A-V]\d{4}", code)) and not is_held(self.store, code)

    def _gaps(self, item: CaseAsk) -> list[dict[str, Any]]:
        """The lexicon's gaps (MUE values, NCCI pairs, base units...) the ask's own words name; a choice between
        E/M visit codes of one kind ("99284 or 99285?") is a choice of level, which is the E/M-level gap."""
        kinds = set(item.kinds)
        visits = [c for c in item.own_codes if encounter.is_visit(self.store, c)]
        if len({c[:4] for c in visits}) == 1 and len(set(visits)) >= 2 and len(visits) == len(item.own_codes):
            kinds.add("gap:em-level")
        return [self.reader.lex.concept(Match("gap", k[4:])) for k in sorted(kinds) if k.startswith("gap:")]

    @staticmethod
    def _certainty(case: Case, item: CaseAsk, reply: Reply) -> float:
        """How far to trust an answer beyond how well its intent matched: what the decision rests on and how
        much reading it took. Measured on the held-out sets (one sentence and one ask: 96% right; every further
        ask or sentence: less), each factor lowers the figure the same way whatever the question."""
        factor = 1.0
        factor *= 0.6 ** max(0, len(case.asks) - 1)  # every further ask in the message
        sentences = len([s for s in case.segments if not s.greeting])
        factor *= max(0.45, 0.88 ** max(0, sentences - 1))  # a case written over several sentences
        factor *= {"drug": 0.85, "documented": 1.0, None: 1.0}.get(reply.basis, 0.75)  # an open decision
        if len(item.segments) > 1:
            factor *= 0.85  # a thin ask read with the sentences before it
        if any(f.fuzzy for f in case.facts if f.category in ("site", "finding", "drug")):
            factor *= 0.9  # a decisive word read through a typo
        return factor

    def _give_verdict(self, case: Case, item: CaseAsk, reply: Reply) -> None:
        """A proposal gets its verdict first: "No: not 23655; report 23650 with 99152."; a side modifier it
        carries stays with the answer when the side is the one the note documents ("23655-RT")."""
        codes, mods = verdict.proposals(case, item)
        if not codes and reply.weighed and (verdict.judging(item) or "alternative" in item.kinds):
            codes = reply.weighed
        if reply.answered and not reply.modifiers:
            reply.modifier(*(m for m in mods if self.sides.get(m) and self.sides[m] == case.side))
        judged = verdict.judge(reply, self.store, codes, mods) if reply.answered else None
        if judged is not None:
            reply.proposed, reply.verdict = codes + mods, judged
            reply.lines.insert(0, verdict.lead(judged, reply, codes, mods))

    def explain(self, question: str) -> dict[str, Any]:
        """The Case the reader made of a question and how each ask was matched: what `coding-bot explain` prints,
        so a curator can see why an answer came out as it did."""
        case = self.reader.read(question)
        asks = []
        earlier: list[str] = []
        for item in case.asks[:MAX_ASKS]:
            view = self.view(case, item, earlier)
            intent, confidence, scores = self._classify(view)
            asks.append(
                {
                    "words": item.masked,
                    "kinds": sorted(view.kinds),
                    "codes": item.codes,
                    "modifiers": item.modifiers,
                    "intent": intent,
                    "confidence": confidence,
                    "slots": sorted(self.matcher.present_slots(view)),
                    "scores": [(s.intent, round(s.score, 1)) for s in scores[:3]],
                }
            )
        return {
            "segments": [
                {
                    "text": case.text[s.start : s.end].strip(),
                    "kind": s.kind,
                    "role": s.role,
                    "question": s.question,
                    "greeting": s.greeting,
                }
                for s in case.segments
            ],
            "facts": [
                {
                    "category": f.category,
                    "concept": f.concept,
                    "words": f.words,
                    "status": f.status,
                    **({"correction": True} if f.correction else {}),
                    **({"typo": True} if f.fuzzy else {}),
                    **({"value": f.value} if f.value is not None else {}),
                }
                for f in case.facts
            ],
            "codes": [{"code": c.code, "kind": c.kind, "role": c.role, "modifiers": c.modifiers} for c in case.codes],
            "modifiers": [
                {"code": m.code, "explicit": m.explicit, "target": m.target, "status": m.status} for m in case.modifiers
            ],
            "reading": {
                "findings": case.findings,
                "drug_depths": case.drug_depths,
                "conflicting": case.conflicting,
                "side": case.side,
                "sites": case.sites,
                "families": case.families,
                "age": case.age,
                "minutes": case.minutes,
                "sedation_by": case.sedation_by,
                "approach": case.approach,
                "manipulation": case.manipulation,
                "condition": case.condition,
                "encounter": case.encounter,
                "topics": case.topics,
                "phi": case.phi,
                "truncated": case.truncated,
            },
            "words_not_understood": case.unknown_words,
            "asks": asks,
        }

    def _ask(self, case: Case, item: CaseAsk | None, intent: str) -> Ask:
        return Ask(case, item or CaseAsk(0, 0, []), self.store, intent)

    @staticmethod
    def _distinct(
        parts: Sequence[tuple[str, float, Reply, CaseAsk | None]],
    ) -> list[tuple[str, float, Reply, CaseAsk | None]]:
        """Two asks that came out as the same answer are one answer."""
        out: list[tuple[str, float, Reply, CaseAsk | None]] = []
        for part in parts:
            if not any(p[0] == part[0] and p[2].lines == part[2].lines for p in out):
                out.append(part)
        return out

    def view(self, case: Case, item: CaseAsk, earlier: list[str] | None = None) -> AskView:
        """What the intent matcher weighs for one ask. A message with one ask is weighed whole (a long one on its
        question sentences); each of several asks on its own words, with the facts of the whole message."""
        single = len(case.asks) == 1
        masked = case.masked if single and len(case.masked) <= FUZZY_WINDOW else item.masked
        if len(masked) > FUZZY_WINDOW:
            tail = masked[-FUZZY_WINDOW:]
            masked = tail[tail.find(" ") + 1 :]
        codes_ = case.ask_codes(item, earlier) + [c for c in item.codes if c in case.icd_codes]
        procedure = [c for c in codes_ if c in case.procedure_codes]
        anesthesia = [c for c in codes_ if c in case.anesthesia_codes]
        mods = item.modifiers or (case.modifier_codes if single or not item.codes else [])
        kinds = set(item.kinds)
        if "compare" in kinds and len(item.modifiers) >= 2 and not item.codes:
            # "57 vs 25?": two modifiers compared, and no code to choose one for: asks what each one is ("25 or
            # 57 on the visit?" after a case with its code asks which one fits)
            kinds = (kinds - {"compare"}) | {"define_modifier"}
        if (
            "define_code" in kinds
            and item.yes_no
            and case.stated_findings
            and any(self.store.distinctions_for(c) for c in procedure)
        ):
            # "Shoulder put back under GA. Is 23650 the code for it?": after a case, asks whether it is right
            kinds = (kinds - {"define_code"}) | {"verify"}
        if "which_modifier" not in kinds and case.stated_findings and len(set(item.modifiers) & self.sides.keys()) < 2:
            # "MAC by anesthesia ... 23655-RT for ortho?" asks about the code the anesthesia decides; the side
            # rides along. With nothing to decide ("does 27266 need RT"), the side is the question, and so it is
            # when the ask sets two sides against each other ("28515-T1 and 28515-T2, or one code?") or asks
            # of the side alone, with no code of its own ("I coded 27252-RT, sorry, left. Is LT all it needs?").
            last = item.segments[-1] if item.segments else None
            alone = set() if item.own_codes else {m.code for m in case.modifiers if m.segment == last}
            mods = [m for m in mods if m not in self.sides or m in alone]
        if "supply_code" in kinds:
            # "which Q code for the cast, with 25605?": the supply is asked about, the treatment code is its context
            procedure = [c for c in procedure if supplies.is_supply(self.store, c)]
            anesthesia = []
        item_asked = "dme_code" in kinds and bool(dme.items(case))
        if item_asked:
            # "and the HCPCS for the immobilizer?": the item is asked about; the reduction, its codes and its
            # anesthesia are the context, not the question
            procedure, anesthesia = [], []
        if self._about_sedation(case, item, procedure):
            kinds.add("sedation_code")
            # the codes it names are the sedation's (what it asks about) or the other provider's reduction: no
            # procedure to choose a code for
            procedure = []
        indicators = item.indicator_fields
        if "add_on" in kinds and procedure and not indicators:
            indicators = ["glob_days"]  # "is 29826 an add-on?": the global indicator (ZZZ) says so
        if indicators and not item.modifiers:
            mods = []  # "ED docs add 54 to 24600. What is the pre/intra/post split?": the split is asked, not the 54
        # "what is XU actually for?": a definition asked of a modifier its own words name, and of no code; the
        # case around it (the finger, the anesthesia) is not what it asks about
        defines_modifier = bool(
            "define_modifier" in kinds
            and not procedure
            or kinds & {"define", "define_modifier"}
            and item.modifiers
            and not item.own_codes
            and not item.codes
        )
        return AskView(
            masked=masked,
            kinds=frozenset(kinds),
            procedure_codes=procedure,
            anesthesia_codes=anesthesia,
            modifiers=mods,
            icd_codes=[c for c in codes_ if c in case.icd_codes] or (case.icd_codes if single else []),
            sites=[] if defines_modifier else case.sites,
            findings=[] if defines_modifier or item_asked else case.stated_findings,
            indicator_fields=indicators,
            anesthesia_code_request="anesthesia_code" in kinds,
            asks_what_code_is="define_code" in kinds,
            asks_what_modifier_is=defines_modifier,
        )

    def _about_sedation(self, case: Case, item: CaseAsk, procedure: list[str]) -> bool:
        """An ask about the sedation codes though it does not say "sedation code": every code it names is a
        sedation code (current or deleted: "what replaced 99148?"), or it asks about the provider who only
        sedated ("which code for the ED attending?" when the ED attending sedated and ortho reduced)."""
        if "every_claim" in item.kinds:
            return False  # "what does each of them bill": the reduction and the sedation
        own = [c for c in item.own_codes if c in case.procedure_codes]
        last = item.segments[-1] if item.segments else None
        in_ask = [f for f in case.facts if f.segment == last and item.start <= f.start < item.end]
        reducer = case.doer("reduction")
        if not own and any(self._asked_as_a_code(case, f) for f in in_ask):
            return False  # "what are the reduction and sedation codes?": both
        if not own and not item.kinds & {"verify", "sedation_code"} and reducer is not None:
            if any(f.concept == reducer.concept for f in in_ask):
                return False  # "what do I code for the ED doc?" when the ED doc reduced: all of his codes
        if not own and any(
            item.segments and f.segment == item.segments[-1] and item.start <= f.start < item.end
            for f in case.of("site")
        ):
            return False  # "which hip code, and can the ED doc bill 99152?": the ask names what it is about
        named = [self.store.codes[c] for c in own or procedure if c in self.store.codes]
        if named and all(is_sedation_code(self.store, c.code) for c in named):
            # "what is 99155?" asks what the code is; "what is it now, for 99143?" asks for today's code
            return not any(k == "define_code" or k.startswith("indicator") for k in item.kinds) and (
                not item.kinds & {"define"} or any(c.is_deleted for c in named)
            )
        sedator = case.doer("sedation")
        asked = [f for f in case.of("provider") if item.segments and f.segment == item.segments[-1]]
        return bool(
            sedator
            and reducer
            and sedator.concept != reducer.concept
            and any(f.concept == sedator.concept for f in asked)
            and not own
        )

    def _asked_as_a_code(self, case: Case, fact: Fact) -> bool:
        """A reduction the ask names as a code it wants ("the reduction and sedation codes", "which reduction
        code"), not as what someone did ("the ED doc doing the reduction")."""
        if fact.category != "procedure" or fact.attrs.get("kind") not in ("reduction", "manipulation"):
            return False
        after = words(case.text[fact.end : fact.end + 30])[:3]
        return any(w in self.reader.lex.code_nouns for w in after)

    def _classify(self, view: AskView) -> tuple[str, float, list[IntentScore]]:
        scores = self.matcher.score(view)
        best, second = scores[0], scores[1]
        if best.score < DECLINE_BELOW:
            return best.intent, 0.0, scores
        strength = min(1.0, (best.score - DECLINE_BELOW) / 40 + 0.4)
        margin = min(1.0, 0.5 + (best.score - second.score) / 20)
        return best.intent, round(max(0.01, strength * margin), 3), scores

    def _answer(self, question: str, case: Case, parts: list[tuple[str, float, Reply, CaseAsk | None]]) -> Answer:
        for _, _, reply, _ in parts:
            reply.fit()
        asks = [_ask_answer(intent, conf, reply) for intent, conf, reply, _ in parts]
        first = asks[0]
        lines = ["\n\n".join(a.text for a in asks)] if len(asks) > 1 else [first.text]
        if case.phi:
            lines.append(PHI_REMINDER)
        shown: list[str] = []
        for _, _, reply, _ in parts:  # at most three per ask, the most authoritative first
            shown += [s for s in self._ranked(reply.shown_sources)[:SOURCES_PER_ASK] if s not in shown]
        more = [s for _, _, reply, _ in parts for s in self._ranked(reply.sources) if s not in shown]
        details = [line for _, _, reply, _ in parts for line in reply.details]
        suggestions: list[str] = []
        for _, _, reply, _ in parts:
            suggestions += [s for s in reply.suggestions if s not in suggestions]
        return Answer(
            question=question[:40_000],
            intent=first.intent,
            confidence=first.confidence,
            answered=first.answered,
            codes=list(dict.fromkeys(c for a in asks for c in a.codes)),
            modifiers=list(dict.fromkeys(m for a in asks for m in a.modifiers)),
            text="\n".join(lines),
            sources=[self.cite(sid) for sid in shown],
            details=_text(details),
            more_sources=[self.cite(sid) for sid in dict.fromkeys(more)],
            suggestions=suggestions[:4],
            phi_detected=case.phi,
            asks=asks,
            not_reported=list(dict.fromkeys(c for a in asks for c in a.not_reported)),
        )

    def _ranked(self, source_ids: list[str]) -> list[str]:
        """Known sources, primary publications first, then secondary, then the rest; in citing order within each."""
        tiers = {"primary": 0, "secondary": 1, "tertiary": 2}
        alias = self.store.source_alias
        known = [s for s in dict.fromkeys(alias.get(s, s) for s in source_ids) if s in self.store.sources]
        return sorted(
            known,
            key=lambda s: tiers.get(self.store.sources[s].tier or self.store.sources[s].kind or "", 1),
        )

    def cite(self, source_id: str) -> SourceRef:
        s = self.store.sources[source_id]
        return SourceRef(id=s.id, title=s.title, citation=f"{s.publisher}, {s.title}, {s.edition}", url=s.url)


def _ask_answer(intent: str, confidence: float, reply: Reply) -> AskAnswer:
    """One ask's answer. The codes a reply rules out and says so in its shown lines ("Not reported separately
    (29085)") are what it is about too: after the codes it recommends, never first (nothing is recommended)."""
    shown = "\n".join(reply.lines)
    ruled = [c for c in dict.fromkeys(reply.ruled_out) if c not in reply.codes and c in shown]
    return AskAnswer(
        intent=cast(Intent, intent),
        answered=reply.answered,
        confidence=confidence if reply.answered else min(confidence, 0.5),
        codes=reply.codes + (ruled if reply.codes else []),
        modifiers=reply.modifiers,
        text=_text(reply.lines),
        proposed=reply.proposed,
        verdict=cast(Verdict | None, reply.verdict),
        not_reported=ruled,
    )


def _text(lines: list[str]) -> str:
    return "\n".join(lines).replace("&", "and")


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
