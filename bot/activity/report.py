"""The curator's report: what the bot could not answer, what coders disliked, what they ask most.

Unanswered and low-confidence questions are grouped by similarity (rapidfuzz), so a coding lead sees
"12 people asked about the jaw" once, with an example, rather than twelve rows.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

from rapidfuzz import fuzz

from bot.activity.log import ActivityLog
from bot.nlu.normalize import normalise

LOW_CONFIDENCE = 0.5
SAME_GROUP = 75  # token_set_ratio at which two questions count as the same gap


def group_similar(questions: list[str]) -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = []
    for text in questions:
        key = normalise(text)
        for group in groups:
            if fuzz.token_set_ratio(key, group["_key"]) >= SAME_GROUP:
                group["count"] += 1
                break
        else:
            groups.append({"example": text, "count": 1, "_key": key})
    groups.sort(key=lambda g: g["count"], reverse=True)
    return [{"example": g["example"], "count": g["count"]} for g in groups]


def _percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))], 2)


def build_report(activity: ActivityLog, since_days: float = 30, now: float | None = None) -> dict[str, Any]:
    since = (now or time.time()) - since_days * 86400
    rows = activity.rows("select * from questions where at >= ? order by at", (since,))
    gaps = [r["question"] for r in rows if not r["answered"] or (r["confidence"] or 0) < LOW_CONFIDENCE]
    disliked = activity.rows(
        "select q.question, q.intent, f.reason from feedback f left join questions q on q.id = f.question_id "
        "where f.at >= ? and f.helpful = 0 order by f.at desc",
        (since,),
    )
    liked = activity.rows("select count(*) as n from feedback where at >= ? and helpful = 1", (since,))[0]["n"]
    codes = Counter(code for r in rows for code in json.loads(r["codes"] or "[]"))
    latencies = [r["latency_ms"] for r in rows if r["latency_ms"] is not None]
    answered = sum(1 for r in rows if r["answered"])
    return {
        "since_days": since_days,
        "questions": len(rows),
        "answer_rate": round(answered / len(rows), 4) if rows else None,
        "latency_ms": {"p50": _percentile(latencies, 50), "p95": _percentile(latencies, 95)},
        "by_surface": dict(Counter(r["surface"] for r in rows)),
        "by_intent": dict(Counter(r["intent"] for r in rows).most_common()),
        "unanswered_groups": group_similar(gaps),
        "thumbs_down": [{"question": d["question"], "intent": d["intent"], "reason": d["reason"]} for d in disliked],
        "thumbs_up": liked,
        "top_codes": codes.most_common(10),
        "phi_flagged": sum(1 for r in rows if r["phi_detected"]),
    }


def render_report(report: dict[str, Any], limit: int = 10) -> str:
    lines = [f"Activity over the last {report['since_days']:g} days: {report['questions']} questions"]
    if not report["questions"]:
        return lines[0] + "."
    lines.append(
        f"Answered {report['answer_rate']:.0%}; latency p50 {report['latency_ms']['p50']} ms, "
        f"p95 {report['latency_ms']['p95']} ms; {report['phi_flagged']} looked like they held PHI (redacted)."
    )
    lines.append("By surface: " + ", ".join(f"{k} {v}" for k, v in report["by_surface"].items()))
    lines.append("Unanswered or unsure (grouped):")
    lines += [f"  {g['count']:>3} x {g['example']}" for g in report["unanswered_groups"][:limit]] or ["  none"]
    lines.append(f"Thumbs down ({len(report['thumbs_down'])}; thumbs up {report['thumbs_up']}):")
    lines += [
        f"  - {d['question']} [{d['intent']}]: {d['reason'] or 'no reason given'}"
        for d in report["thumbs_down"][:limit]
    ] or ["  none"]
    lines.append("Most asked codes: " + (", ".join(f"{c} ({n})" for c, n in report["top_codes"]) or "none"))
    return "\n".join(lines)
