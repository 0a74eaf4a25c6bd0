"""Case records → an SSDA903 return as CSV (``header.csv``, ``episodes.csv``, ``reviews.csv``,
``missing.csv``), the inverse of ``ssda903.read_ssda903`` for what the return can hold.

Only looked-after children are in the return.  Each period of care becomes one episode row per
placement (``RNE`` S for the first, P after), each row ending where the next starts with
``REC`` X1 (care continues) and the last ending with the period (``REC`` E8).  The return has
no times of day (dates only) and no ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .ssda903 import COLUMNS
from .writing import Tables, by_type, dmy

SEX = {"M": "1", "F": "2"}
PERIOD_ENDED = "E8"  # a reason for the end of a period of care (here: any that is not X1)


def write_ssda903(records: Iterable[dict[str, Any]], folder: Path) -> int:
    """Write the return's CSV files into ``folder``; returns the children written."""
    n = 0
    with Tables(folder, COLUMNS) as t:
        for record in records:
            periods = by_type(record, "episodes", "looked_after")
            if not periods:
                continue
            n += 1
            child = record["child"]
            cid = child["id"]
            t.row("header.csv", cid, SEX.get(child.get("sex") or "", ""),
                  dmy(child.get("date_of_birth")), child.get("ethnicity"))
            placements = by_type(record, "episodes", "placement")
            for la in sorted(periods, key=lambda e: e["start"]):
                _period(t, cid, la, [p for p in placements if p.get("parent") == la["id"]])
            for ev in record.get("events", ()):
                if ev["type"] == "cla_review" and not ev.get("cancelled"):
                    t.row("reviews.csv", cid, dmy(ev["date"]))
                elif ev["type"] == "missing_episode":
                    kind = {"missing": "M", "absent": "A"}.get(ev.get("episode_type") or "", "M")
                    t.row("missing.csv", cid, kind, dmy(ev["date"]), dmy(ev.get("end")))
    return n


def _period(t: Tables, cid: str, la: dict[str, Any], placements: list[dict[str, Any]]) -> None:
    placements = sorted(placements, key=lambda p: p["start"])
    starts = [la["start"]] + [p["start"] for p in placements[1:] if p["start"] > la["start"]]
    codes = [p.get("placement_type") for p in placements] or [None]
    for i, start in enumerate(starts):
        last = i == len(starts) - 1
        end = la.get("end") if last else starts[i + 1]
        rec = (PERIOD_ENDED if end else "") if last else "X1"
        code = codes[min(i, len(codes) - 1)]
        t.row("episodes.csv", cid, dmy(start), "S" if i == 0 else "P", la.get("legal_status"),
              code, dmy(end), rec)
