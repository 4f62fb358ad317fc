"""Print PHI redaction figures for the synthetic corpora in tests/phi (issue 5: recall at least 98%)."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bot.evaluate import evaluate_redaction  # noqa: E402

for path in sorted((REPO / "tests" / "phi").glob("*.yaml")):
    f = evaluate_redaction(path)
    print(
        f"{path.name}: recall {f['removed']}/{f['planted']} = {f['recall']:.1%} over {f['phi_texts']} texts; "
        f"clean texts changed {f['clean_damaged']}/{f['clean_texts']}; codes or modifiers lost {len(f['codes_lost'])}, "
        f"other kept words lost {len(f['kept_lost'])}"
    )
