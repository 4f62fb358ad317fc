"""Inputs built to make a regex backtrack or a scan go quadratic: long runs of whitespace after every cue the
redactor knows, all-caps and title-case pastes, runs of digits and punctuation, and the same shapes behind a
header that opens every gate (a cue of each kind and some digits), so no pattern is skipped.

Shared by tests/test_phi_limits.py (which checks none takes more than a generous budget) and
benchmarks/redaction.py (which prints the figures against the 50 ms target).
"""

from __future__ import annotations

import random
import string

CUES = [
    "DOB",
    "dob:",
    "MRN",
    "MR#",
    "acct #",
    "pt",
    "patient name:",
    "ssn",
    "ss #",
    "social security",
    "cdm",
    "npi",
    "rev code",
    "phone",
    "ext",
    "age",
    "aged",
    "born",
    "jan",
    "ninety",
    "zip",
    "PO Box",
    "P.O.",
    "ip",
    "dl",
    "driver's license",
    "plate",
    "http://",
    "https://x.org/",
    "<@",
    "<#",
    "dos",
    "seen",
    "Mr.",
    "Ms.",
    "name is",
]
# every gate open: a cue of each kind, an @, digits, a comma and a slash
HEADER = "DOB 1/2/1950 MRN 12345678 ssn 123-45-6789 pt Ann Lee, a@b.org 12 Main St Springfield IL 62704 / "


def _words(rnd: random.Random, alphabet: str, low: int, high: int, n: int, case: str = "") -> str:
    out: list[str] = []
    size = 0
    while size < n:
        word = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(low, high)))
        word = word.upper() if case == "upper" else word.title() if case == "title" else word
        out.append(word)
        size += len(word) + 1
    return " ".join(out)[:n]


def adversarial_inputs(n: int = 20_000, seed: int = 1) -> dict[str, str]:
    """Name -> a text of exactly `n` characters (or a few more for a cue's run of whitespace)."""
    rnd = random.Random(seed)
    shapes: dict[str, str] = {}
    for cue in CUES:
        shapes[f"{cue!r} + spaces"] = cue + " " * (n - len(cue))
        shapes[f"{cue!r} + tabs/newlines"] = cue + ("\t \n" * n)[: n - len(cue)]
        shapes[f"{cue!r} + '#: '"] = cue + (" #: no. " * n)[: n - len(cue)]
    shapes["all caps paste"] = " ".join(
        rnd.choice(["SMITH", "JOHN", "PATIENT", "HIP", "REDUCED", "MARIA", "GONZALEZ", "LEE", "DOB", "MRN"])
        for _ in range(n)
    )[:n]
    shapes["all caps random words"] = _words(rnd, string.ascii_uppercase, 2, 9, n)
    shapes["one all caps word"] = "A" * n
    shapes["title case words"] = _words(rnd, string.ascii_lowercase, 2, 9, n, "title")
    shapes["title case with commas"] = ("Ab, " * n)[:n]
    shapes["last, first initial"] = ("Smith, J. " * n)[:n]
    shapes["initials"] = ("A." * n)[:n]
    shapes["lower case words"] = _words(rnd, string.ascii_lowercase, 2, 9, n)
    shapes["digits"] = "1" * n
    shapes["digit groups"] = ("12 " * n)[:n]
    shapes["dashed digits"] = ("1-" * n)[:n]
    shapes["dotted digits"] = ("1." * n)[:n]
    shapes["slashed digits"] = ("1/" * n)[:n]
    shapes["digits and letters"] = ("A1" * n)[:n]
    shapes["punctuation"] = "".join(rnd.choice(",.;:-/#()'\"|&*@<>") for _ in range(n))
    shapes["dots"] = "." * n
    shapes["at signs"] = ("a@" * n)[:n]
    shapes["dotted words"] = ("a." * n)[:n]
    shapes["capitals then spaces"] = (("A" + " " * 99) * n)[:n]
    shapes["street numbers"] = ("12 abc " * n)[:n]
    shapes["city state"] = ("Xx IL " * n)[:n]
    shapes["non-ascii"] = "é" * n
    shapes["random printable"] = "".join(rnd.choice(string.printable) for _ in range(n))
    shapes["a realistic note, repeated"] = (
        "Pt Dana Whitfield DOB 2/3/1961 MRN 88442211 seen 5/20 at 12 Main St, "
        "Springfield IL 62704, call 555-201-7788. 27252-LT? " * n
    )[:n]
    for name, text in list(shapes.items()):
        shapes[f"{name}, every gate open"] = (HEADER + text)[:n]
    return shapes
