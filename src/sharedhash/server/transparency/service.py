"""The transparency dashboard of an org: per UTC day, checks, matches, decisions by outcome, the median time from
queueing to decision, deterrence responses, help-link clicks and CyberTipline reports filed; per list, matches,
decisions and the false-positive rate. Leads and admins see it (others: 404, recorded). Queries:
:mod:`sharedhash.store.transparency`.
"""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from sharedhash.server.accounts.service import Who, require_role
from sharedhash.server.state import HubState
from sharedhash.store import transparency as store
from sharedhash.store.models import Role, utcnow

MAX_DAYS = 366
OUTCOMES = ("confirmed", "false_positive")


@dataclass
class Day:
    """One UTC day's figures."""

    day: str
    checks: int = 0
    matches: int = 0
    confirmed: int = 0
    false_positive: int = 0
    median_minutes_to_decision: float | None = None
    deterrence_responses: int = 0
    help_clicks: int = 0
    reports_filed: int = 0


@dataclass
class ListFigures:
    """One list's figures over the period."""

    list_id: int
    list_name: str
    matches: int = 0
    confirmed: int = 0
    false_positive: int = 0

    @property
    def false_positive_rate(self) -> float | None:
        """False positives among the list's decided matches (None: nothing decided)."""
        decided = self.confirmed + self.false_positive
        return round(self.false_positive / decided, 4) if decided else None


@dataclass
class Dashboard:
    """The figures of the last ``days`` days, oldest first."""

    days: list[Day]
    lists: list[ListFigures] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The dashboard as JSON."""
        return {
            "days": [asdict(d) for d in self.days],
            "lists": [{**asdict(f), "false_positive_rate": f.false_positive_rate} for f in self.lists],
        }

    def as_csv(self) -> str:
        """The per-day rows as CSV, then the per-list rows (with a header each)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        columns = list(Day.__dataclass_fields__)
        writer.writerow(columns)
        for d in self.days:
            writer.writerow(["" if getattr(d, c) is None else getattr(d, c) for c in columns])
        writer.writerow([])
        writer.writerow(["list_id", "list_name", "matches", "confirmed", "false_positive", "false_positive_rate"])
        for f in self.lists:
            rate = "" if f.false_positive_rate is None else f.false_positive_rate
            writer.writerow([f.list_id, _csv_text(f.list_name), f.matches, f.confirmed, f.false_positive, rate])
        return out.getvalue()


def _csv_text(text: str) -> str:
    """A cell that a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def dashboard(state: HubState, who: Who, days: int = 30) -> Dashboard:
    """The org's figures over the last ``days`` days (1 to 366)."""
    require_role(state.db, who, Role.LEAD, "/ui/dashboard")
    days = max(1, min(MAX_DAYS, days))
    today = utcnow().date()
    first = today - timedelta(days=days - 1)
    since = utcnow().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days - 1)
    with state.db.reading() as session:
        checks = store.checks_per_day(session, who.org_id, since)
        matches = store.matches_per_day_and_list(session, who.org_id, since)
        decided = store.decisions(session, who.org_id, since)
        deterrence = store.deterrence_per_day(session, who.org_id, first)
        filed = store.reports_filed_per_day(session, who.org_id, since)
        names = store.list_names(session, {lst for _, lst in matches} | {d[2] for d in decided if d[2] is not None})
    by_day = {first + timedelta(days=i): Day((first + timedelta(days=i)).isoformat()) for i in range(days)}
    lists = {i: ListFigures(i, names.get(i, "")) for i in names}
    waits: dict[date, list[float]] = {}
    for day, n in checks.items():
        if day in by_day:
            by_day[day].checks = n
    for (day, lst), n in matches.items():
        if day in by_day:
            by_day[day].matches += n
        lists[lst].matches += n
    for day, decision, decided_list, seconds in decided:
        if decision not in OUTCOMES or day not in by_day:
            continue
        setattr(by_day[day], decision, getattr(by_day[day], decision) + 1)
        waits.setdefault(day, []).append(seconds)
        if decided_list is not None:
            setattr(lists[decided_list], decision, getattr(lists[decided_list], decision) + 1)
    for day, values in waits.items():
        by_day[day].median_minutes_to_decision = round(statistics.median(values) / 60, 1)
    for day, (responses, clicks) in deterrence.items():
        if day in by_day:
            by_day[day].deterrence_responses, by_day[day].help_clicks = responses, clicks
    for day, n in filed.items():
        if day in by_day:
            by_day[day].reports_filed = n
    return Dashboard(days=list(by_day.values()), lists=sorted(lists.values(), key=lambda f: f.list_name))


@dataclass
class Bar:
    """One bar of a server-drawn SVG chart."""

    x: float
    y: float
    height: float
    label: str
    value: float


def bars(values: list[tuple[str, float]], width: float = 600, height: float = 120) -> list[Bar]:
    """Bars for a chart of ``(label, value)`` pairs, scaled to the largest value (drawn as SVG by the page)."""
    top = max((v for _, v in values), default=0) or 1
    step = width / max(len(values), 1)
    return [
        Bar(
            x=round(i * step, 2),
            y=round(height - v / top * height, 2),
            height=round(v / top * height, 2),
            label=k,
            value=v,
        )
        for i, (k, v) in enumerate(values)
    ]
