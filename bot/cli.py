"""`coding-bot`: the command line. Each command parses its arguments, calls the library and prints.

Imports happen inside the commands so that `coding-bot ask` never pays for slack-bolt or the ICD package.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import ConfigError, Settings, load_settings
from bot.content import knowledge_dir

if TYPE_CHECKING:
    from bot.kb.store import KnowledgeStore


def _settings() -> Settings:
    return load_settings()


def _fail(message: str, code: int = 1) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


# -- kb -------------------------------------------------------------------------------------------
def cmd_kb_validate(args: argparse.Namespace) -> int:
    from bot.kb.build import validated_knowledge
    from bot.yamlfile import ContentErrors

    root = Path(args.knowledge or knowledge_dir())
    try:
        kb = validated_knowledge(root, _settings().imports_dir)
    except ContentErrors as exc:
        for err in exc.errors:
            print(err, file=sys.stderr)
        print(f"{len(exc.errors)} problem(s) found in {root}", file=sys.stderr)
        return 1
    print(
        f"ok: {len(kb.codes)} codes, {len(kb.modifiers)} modifiers, {len(kb.distinctions)} distinctions, "
        f"{len(kb.rules)} rules, {len(kb.sources)} sources ({root})"
    )
    return 0


def cmd_kb_build(args: argparse.Namespace) -> int:
    from bot.kb.build import build, built_digest, inputs_digest
    from bot.kb.hcpcs import HcpcsImportError
    from bot.kb.icd10pcs import PcsImportError
    from bot.kb.pfs import PfsImportError
    from bot.yamlfile import ContentErrors

    settings = _settings()
    root = Path(args.knowledge or knowledge_dir())
    target = Path(args.output) if args.output else settings.kb_path
    # a true no-op when nothing it is built from changed, imports included: the database is not even opened for
    # writing (it was rebuilt on every `make run` whenever imports/ held anything)
    if args.if_changed and target.exists() and built_digest(target) == inputs_digest(root, settings.imports_dir):
        print(f"knowledge base is up to date: {target}")
        return 0
    print(f"building {target} from {root}", file=sys.stderr)
    try:
        report = build(root, target, settings.imports_dir)
    except ContentErrors as exc:
        for err in exc.errors:
            print(err, file=sys.stderr)
        return _fail(f"{len(exc.errors)} problem(s) in the content; the existing database was left untouched")
    except (PfsImportError, HcpcsImportError, PcsImportError, OSError) as exc:
        return _fail(f"{exc}; the existing database was left untouched")
    print(
        f"built {report.path} ({report.size_bytes / 1e6:.1f} MB) in {report.seconds:.1f} s, "
        f"content version {report.content_version}"
    )
    print("  " + ", ".join(f"{k} {v:,}" for k, v in report.counts.items()))
    return 0


def _open_store() -> Any:
    from bot.kb.store import KnowledgeStore

    return KnowledgeStore(_settings().kb_path)


def _reading_code_state(store: KnowledgeStore) -> str:
    """Whether the build was made by this checkout's reading code. When it was not, every start compiles the
    lexicon again (slower), and the intent examples stay masked by the older code until `kb build` runs."""
    from bot.nlu.reader import by_this_reader

    if by_this_reader(store.lexicon_index_json) is not None:
        return "current"
    return "older than this checkout's reader: run `coding-bot kb build`"


def cmd_kb_stats(args: argparse.Namespace) -> int:
    from datetime import date

    store = _open_store()
    today = date.today()
    stats = {
        **store.counts,
        "content_version": store.content_version,
        "pfs_release": store.pfs_release["title"],
        "built_at": store.meta.get("built_at"),
        "reading_code": _reading_code_state(store),
    }
    datasets = [{**d.model_dump(mode="json"), "age_days": d.age_days(today)} for d in store.datasets.values()]
    if args.json:
        print(json.dumps({**stats, "today": today.isoformat(), "datasets": datasets}))
        return 0
    width = max(len(k) for k in stats)
    for key, value in stats.items():
        print(f"{key:<{width}}  {value:,}" if isinstance(value, int) else f"{key:<{width}}  {value}")
    print(f"datasets (age on {today.isoformat()}):")
    for d in store.datasets.values():
        age = f"{d.date_kind} {d.date.isoformat()}, {d.age_days(today):,} days ago" if d.date else "date not known"
        print(f"  {d.label}: {age}; {d.rows:,} rows")
        if d.note:
            print(f"    {d.note}")
    return 0


def cmd_kb_export(args: argparse.Namespace) -> int:
    store = _open_store()
    out = sys.stdout
    for code in store.codes.values():
        out.write(json.dumps({"type": "code", **code.model_dump(mode="json")}) + "\n")
    for mod in store.modifiers.values():
        out.write(json.dumps({"type": "modifier", **mod.model_dump(mode="json")}) + "\n")
    for dist in store.distinctions:
        out.write(json.dumps({"type": "distinction", **dist.model_dump(mode="json")}) + "\n")
    for row in store._rows("select origin, data from modifier_rules order by modifier, id"):
        out.write(json.dumps({"type": "rule", "origin": row["origin"], **json.loads(row["data"])}) + "\n")
    return 0


def cmd_kb_import_pfs(args: argparse.Namespace) -> int:
    from bot.kb.pfs import PfsImportError, parse_pfs, print_progress, write_extract

    out_dir = Path(args.out) if args.out else _settings().imports_dir
    try:
        result = parse_pfs(Path(args.file), print_progress)
    except PfsImportError as exc:
        return _fail(str(exc))
    written = write_extract(result, out_dir)
    print(f"imported {len(result.rows):,} rows of {result.release['title']} (released {result.release['released']})")
    for path in written:
        print(f"  wrote {path}")
    if not args.out:
        print("run `coding-bot kb build` to publish it")
    return 0


def cmd_kb_import_hcpcs(args: argparse.Namespace) -> int:
    from bot.kb.hcpcs import HcpcsImportError, parse_hcpcs, write_extract

    out_dir = Path(args.out) if args.out else _settings().imports_dir
    try:
        result = parse_hcpcs(Path(args.file), args.release)
    except HcpcsImportError as exc:
        return _fail(str(exc))
    written = write_extract(result, out_dir)
    release = result.release
    print(
        f"imported {release['procedures']:,} codes and {release['modifiers']:,} modifiers of {release['title']} "
        f"({release['layout']}, effective {release['effective']})"
    )
    for path in written:
        print(f"  wrote {path}")
    if not args.out:
        print("run `coding-bot kb build` to publish it")
    return 0


def cmd_kb_import_cpt(args: argparse.Namespace) -> int:
    from bot.kb.cpt_licensed import CptImportError, parse_cpt_file, write_licensed

    try:
        rows = parse_cpt_file(Path(args.file))
    except CptImportError as exc:
        return _fail(str(exc))
    path = write_licensed(rows, _settings().imports_dir)
    print(f"imported {len(rows):,} licensed CPT descriptors into {path} (local to this installation; never commit it)")
    print("run `coding-bot kb build` to publish them")
    return 0


# -- questions -----------------------------------------------------------------------------------
def _activity(settings: Settings, *, required: bool = False) -> Any:
    """The activity log, or None (with one line on stderr) when its key file is unusable and the command can do
    without it: a question is still answered, just not logged. A full disk is no reason: the log itself drops
    what it cannot write, counted, and says so once."""
    from bot.activity.log import ActivityKeyError, ActivityLog

    try:
        return ActivityLog(settings.activity_path, settings.retention_days)
    except ActivityKeyError as exc:
        if required:
            raise
        print(f"warning: {exc}; answering without the activity log", file=sys.stderr)
        return None


def _close(activity: Any) -> None:
    if activity is not None:
        activity.close()
        if activity.dropped:
            print(
                f"warning: {activity.dropped} question(s) could not be written to the activity log "
                f"({activity.last_error or 'see above'})",
                file=sys.stderr,
            )


def cmd_ask(args: argparse.Namespace) -> int:
    from bot.activity.log import answer_and_log
    from bot.engine import default_engine
    from bot.render.text import render_text

    engine = default_engine()
    activity = _activity(_settings())
    questions = [" ".join(args.question)] if args.question else (line.rstrip("\n") for line in sys.stdin)
    try:
        for question in questions:
            answer, _ = answer_and_log(engine, activity, question, "cli")
            print(answer.model_dump_json() if args.json else render_text(answer, why=args.why), flush=True)
    finally:
        _close(activity)
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    """How the reader read a question: its sentences, facts with their status, codes with their roles, asks."""
    from bot.engine import default_engine
    from bot.nlu.phi import redact

    question = " ".join(args.question) if args.question else sys.stdin.read()
    report = default_engine().explain(question)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print("Sentences and note sections:")
    for seg in report["segments"]:
        tag = "greeting, not read" if seg["greeting"] else (f"section: {seg['role']}" if seg["role"] else seg["kind"])
        print(f"  [{tag}{', asks' if seg['question'] else ''}] {redact(seg['text'])[:110]}")
    print("Facts:")
    for f in report["facts"]:
        extra = "".join(f" {k}={v}" for k, v in f.items() if k in ("value", "correction", "typo"))
        print(f'  {f["category"]:<10} {f["concept"]:<22} {f["status"]:<12} "{redact(f["words"])}"{extra}')
    for c in report["codes"]:
        print(
            f"  code       {c['code']:<22} {c['role']}"
            + (f" with {'-'.join(c['modifiers'])}" if c["modifiers"] else "")
        )
    for m in report["modifiers"]:
        print(f"  modifier   {m['code']:<22} {m['status']}" + (f" on {m['target']}" if m["target"] else ""))
    print("What they add up to:")
    for key, value in report["reading"].items():
        if value not in (None, [], False):
            print(f"  {key}: {value}")
    if report["words_not_understood"]:
        print(f"Words not understood: {', '.join(report['words_not_understood'])}")
    print("Asks:")
    for n, a in enumerate(report["asks"], 1):
        print(f"  {n}. {a['intent']} (confidence {a['confidence']:.2f}) kinds {a['kinds']} slots {a['slots']}")
        print(f"     words: {redact(a['words'])[:120]}")
        print(f"     next best: {a['scores'][1:]}")
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.activity.log import answer_and_log
    from bot.engine import default_engine
    from bot.render.text import render_text

    engine = default_engine()
    activity = _activity(_settings())
    print(
        f"coding-bot local chat (knowledge base {engine.store.content_version}). Ask a coding question; "
        "Ctrl-D or Ctrl-C to leave."
    )
    try:
        while True:
            try:
                question = input("\nyou> ")
            except (EOFError, KeyboardInterrupt):
                print()
                return 0
            if question.strip():
                print(render_text(answer_and_log(engine, activity, question, "cli")[0]))
    finally:
        _close(activity)


def cmd_eval(args: argparse.Namespace) -> int:
    from bot.engine import default_engine
    from bot.evaluate import evaluate, load_questions

    report = evaluate(default_engine(), load_questions(Path(args.file)))
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
        return 0
    summary = report.as_dict()
    print(
        f"{report.correct}/{report.total} correct ({report.accuracy:.1%}); "
        f"first ask right {summary['first_ask_accuracy']:.1%}; "
        f"decline rate {summary['decline_rate']:.1%}; answered and wrong {report.confidently_wrong} "
        f"({summary['confidently_wrong_rate']:.1%}); right under the other pair intent {report.equivalent_intent}"
    )
    for title, key in (
        ("intent", "per_intent"),
        ("length", "by_length"),
        ("confidence (answered)", "confidence_bands"),
        ("tag", "per_tag"),
    ):
        if summary[key]:
            print(f" by {title}:")
            for name, row in summary[key].items():
                print(f"  {name:<24} {row['accuracy']:7.1%}  (n={row['n']})")
    if report.wrong:
        print(f"wrong answers ({len(report.wrong)}):")
        for expected, _, why in report.wrong:
            print(f"  - {expected.q[:100]!r}: {why}")
    return 0


# -- slack ----------------------------------------------------------------------------------------
SERVE_HOST, SERVE_PORT = "0.0.0.0", 3000
_NEEDED_FOR = {
    "SLACK_BOT_TOKEN": "the bot token (xoxb-...) from OAuth & Permissions",
    "SLACK_SIGNING_SECRET": "the Signing Secret from Basic Information > App Credentials",
    "SLACK_APP_TOKEN": "an app-level token (xapp-...) with connections:write from Basic Information",
}


def cmd_serve(args: argparse.Namespace) -> int:
    """Slack: Socket Mode when SLACK_APP_TOKEN is set, else HTTP (`--http` forces it).

    Missing or malformed settings print one line naming the variable (never its value) and exit 2.
    """
    import re

    try:
        settings = _settings()
    except ConfigError as exc:
        return _fail(" ".join(line.strip() for line in str(exc).splitlines()), 2)
    http = bool(getattr(args, "http", False)) or settings.slack_app_token is None
    mode = "HTTP mode" if http else "Socket Mode"
    present = {
        "SLACK_BOT_TOKEN": settings.slack_bot_token,
        "SLACK_SIGNING_SECRET": settings.slack_signing_secret,
        "SLACK_APP_TOKEN": settings.slack_app_token,
    }
    needed = ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET" if http else "SLACK_APP_TOKEN"]
    missing = [name for name in needed if present[name] is None]
    if missing:
        what = " and ".join(_NEEDED_FOR[name] for name in missing)
        return _fail(f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: {mode} needs {what}", 2)
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    if http and not re.fullmatch(r"[0-9a-fA-F]{32,}", secret):
        return _fail(
            "SLACK_SIGNING_SECRET does not look like a signing secret: expected the 32 hex characters of "
            + _NEEDED_FOR["SLACK_SIGNING_SECRET"],
            2,
        )
    from bot.logs import configure_logging
    from bot.slack.app import slack_problem
    from bot.slack.serve import serve

    problem = slack_problem(settings)
    if problem is not None:
        return _fail(problem)
    configure_logging()

    serve(settings, getattr(args, "host", SERVE_HOST), getattr(args, "port", SERVE_PORT), http=http)
    return 0


def cmd_manifest(args: argparse.Namespace) -> int:
    import yaml

    from bot.slack.manifest import manifest

    data = manifest(
        _settings(), socket=args.http is None, url=args.http, assistant=args.assistant, org_deploy=args.org_deploy
    )
    print(json.dumps(data, indent=2) if args.json else yaml.safe_dump(data, sort_keys=False).rstrip("\n"))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from bot.activity.report import build_report, render_report

    settings = _settings()
    activity = _activity(settings, required=True)
    purged = activity.purge()
    try:
        report = build_report(activity, args.since)
    except sqlite3.Error as exc:
        return _fail(f"cannot read the activity database {settings.activity_path} ({exc})")
    finally:
        activity.close()
    print(json.dumps(report, indent=2) if args.json else render_report(report))
    if purged:
        print(f"({purged} records older than {settings.retention_days} days were deleted)", file=sys.stderr)
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """What `make run` starts: Slack when credentials are configured, else the local chat."""
    settings = _settings()
    if settings.slack_configured:
        return cmd_serve(args)
    print("No Slack credentials (SLACK_BOT_TOKEN) in the environment or .env: opening the local chat.")
    return cmd_chat(args)


# -- parser ---------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coding-bot", description="Answers medical coding questions, with sources.")
    sub = parser.add_subparsers(dest="command", required=True)

    kb = sub.add_parser("kb", help="knowledge base: validate, build, stats, export, imports")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    p = kb_sub.add_parser("validate", help="check knowledge/ and report every problem with file, entry and field")
    p.add_argument("--knowledge", help="content folder (default: the bundled knowledge/)")
    p.set_defaults(func=cmd_kb_validate)
    p = kb_sub.add_parser("build", help="build the SQLite knowledge base (atomic: a failure keeps the old one)")
    p.add_argument("--knowledge", help="content folder (default: the bundled knowledge/)")
    p.add_argument("--output", help="database path (default: $CODING_BOT_DATA_DIR/kb.sqlite)")
    p.add_argument("--if-changed", action="store_true", help="skip when the built database already matches the content")
    p.set_defaults(func=cmd_kb_build)
    p = kb_sub.add_parser("stats", help="counts of what the built knowledge base holds")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_kb_stats)
    p = kb_sub.add_parser("export", help="JSON lines: every code, modifier, distinction and rule, for review")
    p.set_defaults(func=cmd_kb_export)
    p = kb_sub.add_parser("import-pfs", help="import a CMS PFS relative value file (PPRRVU*.csv), indicators only")
    p.add_argument("file")
    p.add_argument("--out", help="folder for the extract (default: $CODING_BOT_DATA_DIR/imports)")
    p.set_defaults(func=cmd_kb_import_pfs)
    p = kb_sub.add_parser(
        "import-hcpcs", help="import a CMS HCPCS Level II alpha-numeric file (ANWEB .txt, or its converted CSV)"
    )
    p.add_argument("file")
    p.add_argument("--out", help="folder for the extract (default: $CODING_BOT_DATA_DIR/imports)")
    p.add_argument(
        "--release",
        metavar="YYYY-MM",
        help="the quarter (2026-01), when the file name is not CMS's (HCPC2026_JAN_ANWEB...)",
    )
    p.set_defaults(func=cmd_kb_import_hcpcs)
    p = kb_sub.add_parser(
        "import-cpt", help="import a licensed CPT descriptor CSV (code, descriptor) for this installation"
    )
    p.add_argument("file")
    p.set_defaults(func=cmd_kb_import_cpt)
    p = sub.add_parser("ask", help="answer one question (or one per line from standard input)")
    p.add_argument("question", nargs="*")
    p.add_argument("--json", action="store_true", help="print the Answer as JSON (one object per line)")
    p.add_argument("--why", action="store_true", help="also print the reasoning in full and the further sources")
    p.set_defaults(func=cmd_ask)
    p = sub.add_parser("explain", help="how the reader read a question: sentences, facts, codes, asks (for curators)")
    p.add_argument("question", nargs="*")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_explain)
    p = sub.add_parser("chat", help="interactive local chat on the same engine")
    p.set_defaults(func=cmd_chat)
    p = sub.add_parser("eval", help="score a question file: accuracy per intent, wrong answers, decline rate")
    p.add_argument("file")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_eval)
    p = sub.add_parser("serve", help="serve Slack: Socket Mode when SLACK_APP_TOKEN is set, else HTTP")
    p.add_argument(
        "--http",
        action="store_true",
        help="serve HTTP (POST /slack/events, GET /healthz) even when SLACK_APP_TOKEN is set",
    )
    p.add_argument("--host", default=SERVE_HOST, help=f"HTTP address to listen on (default {SERVE_HOST})")
    p.add_argument("--port", type=int, default=SERVE_PORT, help=f"HTTP port (default {SERVE_PORT})")
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("manifest", help="print the Slack app manifest (YAML, or JSON with --json)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--socket", action="store_true", help="Socket Mode, no public URL (the default)")
    mode.add_argument("--http", metavar="URL", help="HTTP mode: the public URL Slack calls (…/slack/events is added)")
    p.add_argument(
        "--assistant",
        action="store_true",
        help="add Slack's AI-app surface: split view, suggested prompts, a status while answering",
    )
    p.add_argument("--org-deploy", action="store_true", help="installable across an Enterprise Grid organisation")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_manifest)
    p = sub.add_parser("report", help="for curators: unanswered questions grouped, thumbs down, top codes, answer rate")
    p.add_argument("--json", action="store_true")
    p.add_argument("--since", type=float, default=30, metavar="DAYS", help="how far back (default 30 days)")
    p.set_defaults(func=cmd_report)
    p = sub.add_parser("run", help="serve Slack if credentials are set, else open the local chat")
    p.set_defaults(func=cmd_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        return _fail(str(exc), 2)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `coding-bot ask ... | head`: the reader stopped reading, which is no error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to write at exit either
        return 141  # as a process killed by SIGPIPE
    except Exception as exc:  # StoreError and friends: one line, not a traceback
        from bot.activity.log import ActivityKeyError
        from bot.kb.store import StoreError

        if isinstance(exc, (StoreError, ActivityKeyError)):
            return _fail(str(exc))
        raise


if __name__ == "__main__":
    sys.exit(main())
