"""The public and licensed datasets a build loaded, each with its release and the date that release is of.

A coder's question can be about a later year than the data, and an auditor asks how old the data is, so
every dataset names its release ("CMS PFS, July 2024 release"), the date behind it and what that date
means (a CMS release date, the date a code set takes effect, or the day an operator imported a file).
Light on purpose: the read-only store imports it.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.kb import source_ids

DateKind = Literal["released", "effective", "imported"]


class Dataset(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str  # what the data is: "HCPCS Level II"
    release: str  # which release of it: "October 2025 release", "FY2024"
    date: dt.date | None  # None when nothing says
    date_kind: DateKind
    source: str | None  # the source record an answer using this data cites
    rows: int
    note: str = ""  # how it was read, for curators (a third-party conversion, a package it came in)

    @property
    def label(self) -> str:
        """How an answer names the data: "HCPCS Level II, October 2025 release"."""
        return f"{self.name}, {self.release}"

    def age_days(self, today: dt.date) -> int | None:
        return (today - self.date).days if self.date else None


def pfs_dataset(release: dict[str, object]) -> Dataset:
    """The fee-schedule file states its own release date; its title names the quarter."""
    title = str(release["title"])
    quarter = re.search(r"\b(\d{4})\b.*\b(January|April|July|October)\b", title, re.IGNORECASE)
    name = f"{quarter.group(2).capitalize()} {quarter.group(1)} release" if quarter else title
    return Dataset(
        id=source_ids.PFS,
        name="CMS Physician Fee Schedule",
        release=name,
        date=us_date(str(release.get("released", ""))),
        date_kind="released",
        source=source_ids.PFS,
        rows=int(str(release["rows"])),
        note=f"{title} ({release['file']})",
    )


def licensed_cpt_dataset(imported: dt.date, rows: int) -> Dataset:
    """A licensed descriptor file carries no edition: the day it was imported is all that is known."""
    return Dataset(
        id="licensed-cpt",
        name="CPT descriptors (licensed)",
        release="as imported by this installation",
        date=imported,
        date_kind="imported",
        source="licensed-cpt",
        rows=rows,
    )


def us_date(text: str) -> dt.date | None:
    """CMS writes release dates as MM/DD/YYYY."""
    try:
        return dt.datetime.strptime(text.strip(), "%m/%d/%Y").date()
    except ValueError:
        return None


def package_dir(import_name: str) -> Path | None:
    """Where an installed package's files are, found without importing it (some build large tables on import)."""
    spec = importlib.util.find_spec(import_name)
    locations = spec.submodule_search_locations if spec else None
    return Path(next(iter(locations))) if locations else None
