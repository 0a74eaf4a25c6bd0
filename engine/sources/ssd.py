"""Standard Safeguarding Dataset (SSD) → case records.

Reads the SSD tables either as a folder of ``ssd_<table>.csv`` files or straight from the
database through a SQLAlchemy URL held in an environment variable (never on the command line,
where it would land in shell history and process lists).  Table and column names are the SSD's
own.  Only ``ssd_person`` is required; every other table is optional, and a table that is absent
is left out of the ``supplies`` declaration on the records, so rules that need it are reported as
not assessable instead of breached.  The mapping, table by table, is in docs/sources/ssd.md.
"""

from __future__ import annotations

import heapq
import marshal
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

from .casefile import CaseBuilder, Supplies
from .csvfiles import check_columns, csv_rows, did_you_mean, row_digest
from .dates import BadValue, Note, parse_date, parse_when
from .report import ImportReport, SourceError, shape

SOURCE = "ssd"
URL_ENV = "CASECHECK_SSD_URL"

# Table -> the columns read.  The first is the row's id, the second the person id.
COLUMNS: dict[str, tuple[str, ...]] = {
    "ssd_person": ("pers_person_id", "pers_person_id", "pers_sex", "pers_ethnicity", "pers_dob",
                   "pers_expected_dob", "pers_death_date"),
    "ssd_department": ("dept_team_id", "", "dept_team_name"),
    "ssd_involvements": ("invo_involvements_id", "invo_person_id", "invo_professional_id",
                         "invo_professional_team", "invo_involvement_start_date",
                         "invo_involvement_end_date"),
    "ssd_cin_episodes": ("cine_referral_id", "cine_person_id", "cine_referral_date",
                         "cine_close_date", "cine_referral_team", "cine_referral_worker_id"),
    "ssd_cin_assessments": ("cina_assessment_id", "cina_person_id", "cina_referral_id",
                            "cina_assessment_start_date", "cina_assessment_child_seen",
                            "cina_assessment_auth_date", "cina_assessment_outcome_nfa"),
    "ssd_cin_plans": ("cinp_cin_plan_id", "cinp_person_id", "cinp_cin_plan_start_date",
                      "cinp_cin_plan_end_date"),
    "ssd_cin_visits": ("cinv_cin_visit_id", "cinv_person_id", "cinv_cin_visit_date",
                       "cinv_cin_visit_seen", "cinv_cin_visit_seen_alone"),
    "ssd_s47_enquiry": ("s47e_s47_enquiry_id", "s47e_person_id", "s47e_s47_start_date",
                        "s47e_s47_end_date", "s47e_s47_nfa"),
    "ssd_initial_cp_conference": ("icpc_icpc_id", "icpc_person_id", "icpc_s47_enquiry_id",
                                  "icpc_icpc_transfer_in", "icpc_icpc_date",
                                  "icpc_icpc_outcome_cp_flag"),
    "ssd_cp_plans": ("cppl_cp_plan_id", "cppl_person_id", "cppl_cp_plan_start_date",
                     "cppl_cp_plan_end_date", "cppl_cp_plan_initial_category",
                     "cppl_cp_plan_latest_category"),
    "ssd_cp_visits": ("cppv_cp_visit_id", "cppv_person_id", "cppv_cp_visit_date",
                      "cppv_cp_visit_seen", "cppv_cp_visit_seen_alone"),
    "ssd_cp_reviews": ("cppr_cp_review_id", "cppr_person_id", "cppr_cp_review_date"),
    "ssd_cla_episodes": ("clae_cla_episode_id", "clae_person_id", "clae_cla_id",
                         "clae_cla_episode_start_date", "clae_cla_episode_ceased_date"),
    "ssd_legal_status": ("lega_legal_status_id", "lega_person_id", "lega_legal_status",
                         "lega_legal_status_start_date", "lega_legal_status_end_date"),
    "ssd_cla_placement": ("clap_cla_placement_id", "clap_person_id", "clap_cla_id",
                          "clap_cla_placement_start_date", "clap_cla_placement_end_date",
                          "clap_cla_placement_type"),
    "ssd_cla_reviews": ("clar_cla_review_id", "clar_cla_person_id", "clar_cla_review_date",
                        "clar_cla_review_cancelled"),
    "ssd_cla_visits": ("clav_cla_visit_id", "clav_person_id", "clav_cla_visit_date",
                       "clav_cla_visit_seen", "clav_cla_visit_seen_alone"),
    "ssd_cla_health": ("clah_health_check_id", "clah_person_id", "clah_health_check_type",
                       "clah_health_check_date", "clah_health_check_status"),
    "ssd_cla_care_plan": ("lacp_table_id", "lacp_person_id", "lacp_cla_care_plan_start_date"),
    "ssd_missing": ("miss_table_id", "miss_person_id", "miss_missing_episode_start_date",
                    "miss_missing_episode_end_date", "miss_missing_episode_type"),
    "ssd_care_leavers": ("clea_table_id", "clea_person_id", "clea_pathway_plan_review_date"),
}

_VISIT = frozenset({"seen", "seen_alone", "context"})
# Table -> what it lets the records hold ("child" fields, or episode/event type -> fields).
PROVIDES: dict[str, dict[str, Any]] = {
    "ssd_person": {"child": {"id", "date_of_birth", "expected_date_of_birth", "date_of_death",
                             "sex", "ethnicity"}},
    "ssd_cin_episodes": {"episodes": {"cin_episode": set()}, "events": {"referral": set()}},
    # the SSD records one outcome only (no further action), so ``outcome`` is not supplied: a
    # rule reading it (PRC-PLAN-AFTER-ASSESSMENT) would see no plan ever recommended
    "ssd_cin_assessments": {"events": {"assessment": {"completed", "child_seen"}}},
    "ssd_cin_plans": {"episodes": {"cin_plan": set()}},
    "ssd_cin_visits": {"events": {"visit": _VISIT}},
    "ssd_s47_enquiry": {"events": {"strategy_discussion": {"s47"},
                                   "s47_enquiry": {"completed", "outcome"}}},
    "ssd_initial_cp_conference": {"events": {"icpc": {"cp_plan", "transfer_in"}}},
    "ssd_cp_plans": {"episodes": {"cp_plan": {"category"}}},
    "ssd_cp_visits": {"events": {"visit": _VISIT}},
    "ssd_cp_reviews": {"events": {"rcpc": set()}},
    "ssd_cla_episodes": {"episodes": {"looked_after": set()}},
    "ssd_legal_status": {"episodes": {"looked_after": {"legal_status", "legal_statuses"}}},
    "ssd_cla_placement": {"episodes": {"placement": {"placement_type", "long_term",
                                                     "with_parents", "parent"}}},
    "ssd_cla_reviews": {"events": {"cla_review": {"cancelled"}}},
    "ssd_cla_visits": {"events": {"visit": _VISIT}},
    "ssd_cla_health": {"events": {"health_assessment": {"kind", "status"},
                                  "dental_check": set()}},
    "ssd_cla_care_plan": {"events": {"care_plan": set()}},
    "ssd_missing": {"events": {"missing_episode": {"end", "episode_type"}}},
    "ssd_care_leavers": {"events": {"pathway_plan_review": set()}},
}


# Types that several tables hold a part of each: supplied only when every part is present (an
# extract with CIN visits but no CLA visits table cannot show a looked-after child's visits).
SPLIT: dict[str, tuple[str, ...]] = {
    "visit": ("ssd_cin_visits", "ssd_cp_visits", "ssd_cla_visits"),
}


def _supplies(tables: list[str]) -> Supplies:
    """The declaration for the tables that were present."""
    child: set[str] = set()
    kinds: dict[str, dict[str, set[str]]] = {"episodes": {}, "events": {}}
    split = {t for kind, parts in SPLIT.items() if not set(parts) <= set(tables) for t in parts}
    for table in tables:
        if table in split:
            continue
        for key, value in PROVIDES.get(table, {}).items():
            if key == "child":
                child |= value
            else:
                for name, fields in value.items():
                    kinds[key].setdefault(name, set()).update(fields)
    out: Supplies = {"child": frozenset(child)}
    for key, value in kinds.items():
        out[key] = {name: frozenset(fields) for name, fields in value.items()}
    return out


SUPPLIES: Supplies = _supplies(list(COLUMNS))  # with every table present

LONG_TERM_PLACEMENTS = frozenset({"U1", "U4"})
WITH_PARENTS = "P1"
CATEGORIES = ("neglect", "emotional", "physical", "sexual", "multiple")
YES = frozenset({"y", "yes", "1", "true", "t"})
NO = frozenset({"n", "no", "0", "false", "f"})
INFER_SD = "strategy discussion inferred from an s47 enquiry start"

# A table's rows: (line or row number, the wanted columns' values, digest or None).  CSV rows
# carry the digest of all their cells, so that exact duplicates can be found; database rows do
# not (a database has no exact duplicates to speak of: a repeated id is rejected as such).
TableRow = tuple[int, tuple[str, ...], bytes | None]
RowSource = Callable[[str, list[str]], "Iterator[TableRow] | None"]


# --- reading tables ---------------------------------------------------------------------------

def _csv_source(folder: Path, report: ImportReport) -> RowSource:
    if not folder.is_dir():
        raise SourceError(f"{folder.name}: not a folder of ssd_<table>.csv files")
    present = {p.name.lower(): p for p in folder.iterdir() if p.is_file()}
    expected = {f"{t}.csv" for t in COLUMNS}
    for name in present:
        if name.startswith("ssd_") and name.endswith(".csv") and name not in expected:
            hint = did_you_mean(name, expected)
            if hint:
                raise SourceError(f"{name}: not an SSD table casecheck reads{hint}")

    def rows(table: str, wanted: list[str]) -> Iterator[TableRow] | None:
        path = present.get(f"{table}.csv")
        if path is None:
            return None
        header, stream = csv_rows(path, wanted, report)
        index = [header.index(c) for c in wanted]
        return ((line, tuple([cells[i] for i in index]), row_digest(cells))
                for line, cells in stream)

    return rows


def _text(value: Any) -> str:
    """A database value as the text a CSV extract would hold, so both share one mapping."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _db_source(url_env: str, schema: str | None, report: ImportReport) -> RowSource:
    """Tables read through SQLAlchemy, read-only: SQLite connections are set ``query_only``,
    Postgres transactions ``READ ONLY``; every transaction is rolled back.  Table and column
    names are quoted identifiers built by SQLAlchemy; no value is ever put into SQL text.
    Each table is read through a server-side cursor ordered by person id, then row id (then the
    other columns), so that rows arrive grouped by child and row numbers are repeatable."""
    try:
        import sqlalchemy as sa
    except ImportError:  # pragma: no cover - depends on the installation
        raise SourceError("reading a database needs the 'sources' extra: "
                          "pip install 'casecheck[sources]'") from None
    url = os.environ.get(url_env, "").strip()
    if not url:
        raise SourceError(f"set the environment variable {url_env} to a SQLAlchemy database URL")
    try:
        engine = sa.create_engine(url)
    except Exception as exc:  # a malformed URL; its text may hold a password, so not echoed
        raise SourceError(f"{url_env}: not a usable database URL ({type(exc).__name__})") from None
    dialect = engine.dialect.name

    @sa.event.listens_for(engine, "connect")
    def _read_only(dbapi_connection: Any, _record: Any) -> None:
        if dialect == "sqlite":
            dbapi_connection.execute("PRAGMA query_only = ON")

    try:
        names = set(sa.inspect(engine).get_table_names(schema=schema))
    except sa.exc.SQLAlchemyError as exc:
        raise SourceError(f"database: could not list tables ({type(exc).__name__})") from None
    where = f" in schema {schema}" if schema else ""

    def rows(table: str, wanted: list[str]) -> Iterator[TableRow] | None:
        if table not in names:
            return None
        found = [c["name"] for c in sa.inspect(engine).get_columns(table, schema=schema)]
        check_columns(f"{table}{where}", found, wanted)
        id_col, person_col = COLUMNS[table][:2]
        # person, then row id, then the other columns: a total order, so that which of two
        # rows with one id counts as the first does not change from run to run
        order = [sa.column(c) for c in dict.fromkeys((person_col, id_col, *wanted)) if c]
        query = sa.select(*(sa.column(c) for c in wanted)).select_from(
            sa.table(table, schema=schema)).order_by(*order)
        report.touch(table)
        return _stream(engine, query, table, report, dialect)

    return rows


DB_BATCH = 5_000  # rows fetched from the server at a time


def _stream(engine: Any, query: Any, table: str, report: ImportReport, dialect: str
            ) -> Iterator[TableRow]:
    import sqlalchemy as sa

    try:
        with engine.connect() as conn:
            if dialect == "postgresql":
                conn.execute(sa.text("SET TRANSACTION READ ONLY"))
            result = conn.execution_options(stream_results=True,
                                            yield_per=DB_BATCH).execute(query)
            for n, values in enumerate(result, 1):
                report.read(table)
                yield n, tuple([_text(v) for v in values]), None
            conn.rollback()
    except sa.exc.SQLAlchemyError as exc:
        raise SourceError(f"{table}: query failed ({type(exc).__name__})") from None


# --- sorting rows by child ----------------------------------------------------------------------

SPILL_ROWS = 200_000  # rows held in memory before a sorted run is written to a temporary file
_BATCH = 2_000  # rows per marshal record in a run file

# A row on its way to the merge: (child's ordinal in ssd_person, table index, line, digest,
# values).  The first three are unique, so rows sort by them alone.
Keyed = tuple[int, int, int, bytes | None, tuple[str, ...]]


class _Runs:
    """An external merge sort: rows are added in any order, held up to ``limit`` at a time,
    written out as sorted runs (length-prefixed batches of marshalled rows, in a private
    temporary folder) and merged back in key order, so that memory holds at most ``limit`` rows
    plus one batch per run."""

    def __init__(self, limit: int = SPILL_ROWS) -> None:
        self.limit = limit
        self.rows: list[Keyed] = []
        self.files: list[Path] = []
        self.folder: tempfile.TemporaryDirectory[str] | None = None
        self.spilled = 0

    def add(self, row: Keyed) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.limit:
            self._spill()

    def _spill(self) -> None:
        self.rows.sort()
        if self.folder is None:
            self.folder = tempfile.TemporaryDirectory(prefix="casecheck-ssd-")
        path = Path(self.folder.name) / f"run-{len(self.files)}"
        with path.open("wb") as fh:
            for i in range(0, len(self.rows), _BATCH):
                blob = marshal.dumps(self.rows[i:i + _BATCH])
                fh.write(len(blob).to_bytes(8, "little"))
                fh.write(blob)
        self.spilled += len(self.rows)
        self.files.append(path)
        self.rows = []

    @staticmethod
    def _read(path: Path) -> Iterator[Keyed]:
        with path.open("rb") as fh:
            while size := fh.read(8):
                yield from marshal.loads(fh.read(int.from_bytes(size, "little")))

    def merged(self) -> Iterator[Keyed]:
        self.rows.sort()
        if not self.files:
            return iter(self.rows)
        return heapq.merge(*(self._read(p) for p in self.files), iter(self.rows))

    def close(self) -> None:
        self.rows = []
        if self.folder is not None:
            self.folder.cleanup()
            self.folder = None


# --- mapping ----------------------------------------------------------------------------------

class _Bad(Exception):
    """A row that cannot be used; the reason names columns and shapes, never values."""


def _day(cells: Mapping[str, str], column: str, report: ImportReport, required: bool = False
         ) -> str | None:
    return _dated(parse_date, cells, column, report, required)


def _when(cells: Mapping[str, str], column: str, report: ImportReport, required: bool = True
          ) -> str | None:
    return _dated(parse_when, cells, column, report, required)


def _dated(parse: Callable[[str | None, Note], str | None], cells: Mapping[str, str],
           column: str, report: ImportReport, required: bool) -> str | None:
    try:
        value = parse(cells.get(column), report.normalised)
    except BadValue as exc:
        raise _Bad(f"{column}: {exc}") from None
    if value is None and required:
        raise _Bad(f"{column} is {shape(cells.get(column, ''))}")
    return value


def _flag(cells: Mapping[str, str], column: str) -> bool | None:
    text = cells.get(column, "").strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    if text:
        raise _Bad(f"{column} is {shape(text)}, not Y or N")
    return None


@dataclass
class _Kid:
    builder: CaseBuilder
    periods: dict[str, dict[str, Any]] = field(default_factory=dict)  # clae_cla_id -> period
    placements: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    involvement: tuple[str, str, str] | None = None  # (start, worker, team)
    referral_team: tuple[str, str, str] | None = None


@dataclass
class _Context:
    report: ImportReport
    teams: dict[str, str] = field(default_factory=dict)
    file: str = ""
    where: str = ""


def _person(kid: _Kid, c: Mapping[str, str], ctx: _Context) -> None:
    b, report = kid.builder, ctx.report
    for column, key in (("pers_dob", "date_of_birth"), ("pers_expected_dob",
                        "expected_date_of_birth"), ("pers_death_date", "date_of_death")):
        try:
            value = _day(c, column, report)
        except _Bad as exc:  # keep the child: a bad date of birth must not orphan the case
            report.warn(ctx.file, ctx.where, f"dropped: {exc}")
            value = None
        if value is not None or key == "date_of_birth":
            b.child[key] = value
    b.child["sex"] = c.get("pers_sex", "").strip() or None
    b.child["ethnicity"] = c.get("pers_ethnicity", "").strip() or None


def _involvement(kid: _Kid, c: Mapping[str, str], ctx: _Context) -> None:
    start = _day(c, "invo_involvement_start_date", ctx.report, required=True)
    end = _day(c, "invo_involvement_end_date", ctx.report)
    assert start is not None
    if end is None and (kid.involvement is None or start >= kid.involvement[0]):
        kid.involvement = (start, c["invo_professional_id"].strip(),
                           c["invo_professional_team"].strip())


def _cin_episode(kid: _Kid, c: Mapping[str, str], ctx: _Context) -> None:
    rid = c["cine_referral_id"].strip()
    start = _day(c, "cine_referral_date", ctx.report, required=True)
    end = _day(c, "cine_close_date", ctx.report)
    assert start is not None
    kid.builder.episode("cine", rid, "cin_episode", start, end)
    kid.builder.event("ref", rid, "referral", start)
    if end is None and (kid.referral_team is None or start >= kid.referral_team[0]):
        kid.referral_team = (start, c["cine_referral_worker_id"].strip(),
                             c["cine_referral_team"].strip())


def _assessment(kid: _Kid, c: Mapping[str, str], ctx: _Context) -> None:
    start = _when(c, "cina_assessment_start_date", ctx.report)
    done = _when(c, "cina_assessment_auth_date", ctx.report, required=False)
    assert start is not None
    ref = f"ref-{c['cina_referral_id'].strip()}"
    nfa = _flag(c, "cina_assessment_outcome_nfa")
    kid.builder.event("asm", c["cina_assessment_id"].strip(), "assessment", start,
                      completed=done, ref=ref if kid.builder.has_id(ref) else None,
                      child_seen=_flag(c, "cina_assessment_child_seen"),
                      outcome="nfa" if nfa else None)


def _episode(prefix: str, kind: str, start_col: str, end_col: str, **extra: str
             ) -> Callable[[_Kid, Mapping[str, str], _Context], None]:
    def build(kid: _Kid, c: Mapping[str, str], ctx: _Context) -> None:
        start = _day(c, start_col, ctx.report, required=True)
        end = _day(c, end_col, ctx.report)
        assert start is not None
        row_id = c["__id__"]
        kid.builder.episode(prefix, row_id, kind, start, end)
    return build


def _visit(prefix: str, context: str, date_col: str, seen_col: str, alone_col: str
           ) -> Callable[[_Kid, Mapping[str, str], _Context], None]:
    def build(kid: _Kid, c: Mapping[str, str], ctx: _Context) -> None:
        when = _when(c, date_col, ctx.report)
        assert when is not None
        seen = _flag(c, seen_col)
        kid.builder.event(prefix, c["__id__"], "visit", when,
                          seen=seen,
                          seen_alone=_flag(c, alone_col), context=context)
    return build


def _s47(kid: _Kid, c: Mapping[str, str], ctx: _Context) -> None:
    sid = c["s47e_s47_enquiry_id"].strip()
    start = _when(c, "s47e_s47_start_date", ctx.report)
    end = _when(c, "s47e_s47_end_date", ctx.report, required=False)
    assert start is not None
    nfa = _flag(c, "s47e_s47_nfa")
    kid.builder.event("sd", sid, "strategy_discussion", start, s47=True)
    ctx.report.normalised(INFER_SD)
    kid.builder.event("s47", sid, "s47_enquiry", start, completed=end,
                      outcome="no_icpc" if nfa else None)


def _icpc(kid: _Kid, c: Mapping[str, str], ctx: _Context) -> None:
    when = _when(c, "icpc_icpc_date", ctx.report)
    assert when is not None
    sid = c["icpc_s47_enquiry_id"].strip()
    b = kid.builder
    ref = f"sd-{sid}" if sid and b.has_id(f"sd-{sid}") else None
    if ref:
        for item in b.events:
            if item["id"] == f"s47-{sid}" and "outcome" not in item:
                item["outcome"] = "icpc"
    b.event("icpc", c["icpc_icpc_id"].strip(), "icpc", when, ref=ref,
            cp_plan=_flag(c, "icpc_icpc_outcome_cp_flag"),
            transfer_in=_flag(c, "icpc_icpc_transfer_in"))


def _cp_plan(kid: _Kid, c: Mapping[str, str], ctx: _Context) -> None:
    start = _day(c, "cppl_cp_plan_start_date", ctx.report, required=True)
    end = _day(c, "cppl_cp_plan_end_date", ctx.report)
    assert start is not None
    text = (c.get("cppl_cp_plan_latest_category", "").strip()
            or c.get("cppl_cp_plan_initial_category", "").strip()).lower()
    category = next((name for name in CATEGORIES if name in text), None)
    if category is None and "mixed" in text:
        category = "multiple"
    if text and category is None:
        ctx.report.normalised("CP category not recognised → omitted")
    kid.builder.episode("cpp", c["cppl_cp_plan_id"].strip(), "cp_plan", start, end,
                        category=category)


def _simple_event(prefix: str, kind: str, date_col: str, **flags: str
                  ) -> Callable[[_Kid, Mapping[str, str], _Context], None]:
    def build(kid: _Kid, c: Mapping[str, str], ctx: _Context) -> None:
        when = _when(c, date_col, ctx.report)
        assert when is not None
        extra = {key: _flag(c, column) for key, column in flags.items()}
        kid.builder.event(prefix, c["__id__"], kind, when, **extra)
    return build


def _cla_episode(kid: _Kid, c: Mapping[str, str], ctx: _Context) -> None:
    start = _day(c, "clae_cla_episode_start_date", ctx.report, required=True)
    end = _day(c, "clae_cla_episode_ceased_date", ctx.report)
    assert start is not None
    key = c["clae_cla_id"].strip() or c["clae_cla_episode_id"].strip()
    period = kid.periods.get(key)
    if period is None:
        kid.periods[key] = {"start": start, "end": end, "open": end is None}
        return
    period["start"] = min(period["start"], start)
    period["open"] = period["open"] or end is None
    if end is not None and (period["end"] is None or end > period["end"]):
        period["end"] = end


def _legal_status(kid: _Kid, c: Mapping[str, str], ctx: _Context) -> None:
    code = c["lega_legal_status"].strip().upper()
    if not code:
        raise _Bad("lega_legal_status is blank")
    start = _day(c, "lega_legal_status_start_date", ctx.report, required=True)
    end = _day(c, "lega_legal_status_end_date", ctx.report)
    kid.statuses.append({"code": code, "start": start, "end": end})


def _placement(kid: _Kid, c: Mapping[str, str], ctx: _Context) -> None:
    start = _day(c, "clap_cla_placement_start_date", ctx.report, required=True)
    end = _day(c, "clap_cla_placement_end_date", ctx.report)
    assert start is not None
    place = c["clap_cla_placement_type"].strip().upper()
    item = {"id": c["clap_cla_placement_id"].strip(), "start": start, "end": end,
            "placement_type": place or None, "long_term": place in LONG_TERM_PLACEMENTS,
            "with_parents": place == WITH_PARENTS}
    kid.placements.append((c["clap_cla_id"].strip(), item))


def _health(kid: _Kid, c: Mapping[str, str], ctx: _Context) -> None:
    kind_text = c["clah_health_check_type"].strip().lower()
    when = _when(c, "clah_health_check_date", ctx.report)
    assert when is not None
    status_text = c["clah_health_check_status"].strip().lower()
    status = next((word for key, word in (("complet", "completed"), ("plan", "planned"),
                                          ("sched", "planned"), ("refus", "refused"),
                                          ("declin", "refused"), ("cancel", "cancelled"))
                   if key in status_text), None)
    hid = c["clah_health_check_id"].strip()
    if "dental" in kind_text or "dentist" in kind_text:
        kid.builder.event("dent", hid, "dental_check", when, status=status)
    elif "initial" in kind_text:
        kid.builder.event("ha", hid, "health_assessment", when, kind="initial", status=status)
    elif "review" in kind_text:
        kid.builder.event("ha", hid, "health_assessment", when, kind="review", status=status)
    else:
        raise _Bad(f"clah_health_check_type is {shape(kind_text)}, "
                   "not an initial or review health assessment or a dental check")


def _missing(kid: _Kid, c: Mapping[str, str], ctx: _Context) -> None:
    start = _when(c, "miss_missing_episode_start_date", ctx.report)
    end = _when(c, "miss_missing_episode_end_date", ctx.report, required=False)
    assert start is not None
    text = c["miss_missing_episode_type"].strip().lower()
    kind = ("absent" if ("absen" in text or "away" in text) else
            "missing" if "missing" in text or text == "m" else None)
    kid.builder.event("miss", c["miss_table_id"].strip(), "missing_episode", start, end=end,
                      episode_type=kind)


Handler = Callable[[_Kid, Mapping[str, str], _Context], None]
HANDLERS: dict[str, Handler] = {
    "ssd_involvements": _involvement,
    "ssd_cin_episodes": _cin_episode,
    "ssd_cin_assessments": _assessment,
    "ssd_cin_plans": _episode("cinp", "cin_plan", "cinp_cin_plan_start_date",
                              "cinp_cin_plan_end_date"),
    "ssd_cin_visits": _visit("cinv", "cin", "cinv_cin_visit_date", "cinv_cin_visit_seen",
                             "cinv_cin_visit_seen_alone"),
    "ssd_s47_enquiry": _s47,
    "ssd_initial_cp_conference": _icpc,
    "ssd_cp_plans": _cp_plan,
    "ssd_cp_visits": _visit("cppv", "cp", "cppv_cp_visit_date", "cppv_cp_visit_seen",
                            "cppv_cp_visit_seen_alone"),
    "ssd_cp_reviews": _simple_event("rcpc", "rcpc", "cppr_cp_review_date"),
    "ssd_cla_episodes": _cla_episode,
    "ssd_legal_status": _legal_status,
    "ssd_cla_placement": _placement,
    "ssd_cla_reviews": _simple_event("clar", "cla_review", "clar_cla_review_date",
                                     cancelled="clar_cla_review_cancelled"),
    "ssd_cla_visits": _visit("clav", "cla", "clav_cla_visit_date", "clav_cla_visit_seen",
                             "clav_cla_visit_seen_alone"),
    "ssd_cla_health": _health,
    "ssd_cla_care_plan": _simple_event("carep", "care_plan", "lacp_cla_care_plan_start_date"),
    "ssd_missing": _missing,
    "ssd_care_leavers": _simple_event("ppr", "pathway_plan_review",
                                      "clea_pathway_plan_review_date"),
}


def read_ssd(path: Path | None, report: ImportReport, *, url_env: str = URL_ENV,
             schema: str | None = None, extracted: str | None = None,
             spill_rows: int = SPILL_ROWS) -> Iterator[dict[str, Any]]:
    """Case records from an SSD CSV folder (``path``) or, when ``path`` is None, from the
    database whose SQLAlchemy URL is in the environment variable ``url_env``.

    Streams: every table is read once here, its rows checked and sorted by child (at most
    ``spill_rows`` held in memory, the rest in sorted runs on disk), then the records are built
    one child at a time as the runs are merged.  A missing ``ssd_person`` or a missing column
    raises ``SourceError`` here, before the first record."""
    rows = _csv_source(path, report) if path is not None else _db_source(url_env, schema,
                                                                          report)
    scan = _Scan(report, path is not None, _Runs(spill_rows))
    try:
        present = scan.read(rows)
    except BaseException:
        scan.runs.close()
        raise
    return _records(scan, _supplies(present), extracted)


@dataclass
class _Table:
    index: int
    name: str
    file: str
    id_col: str
    person_col: str
    wanted: list[str]
    id_at: int
    # row ids that occur more than once in the table -> where the first of them is
    repeated: dict[str, str] = field(default_factory=dict)


class _Scan:
    """The first pass: each table is read once, in the order of COLUMNS.  ``ssd_person`` and
    ``ssd_department`` are settled here; a row of any other table is settled here when it names
    no known child, and otherwise goes to the sort, keyed by its child, to be settled in the
    second pass (``_records``) with the rest of that child's rows.  Either way a row meets the
    same checks, in the same order, with the same outcome, as if all were held at once:
    exact duplicate (of an earlier row, which names the same child) → blank id → repeated id →
    blank person → unknown person → the table's mapping."""

    def __init__(self, report: ImportReport, csv: bool, runs: _Runs) -> None:
        self.report, self.csv, self.runs = report, csv, runs
        self.ctx = _Context(report)
        self.children: dict[str, int] = {}  # person id -> ordinal, in ssd_person's order
        self.tables: dict[int, _Table] = {}

    def where(self, line: int) -> str:
        return str(line) if self.csv else f"row {line}"

    def read(self, rows: RowSource) -> list[str]:
        report = self.report
        present: list[str] = []
        for index, (name, columns) in enumerate(COLUMNS.items()):
            wanted = list(dict.fromkeys(c for c in columns if c))
            stream = rows(name, wanted)
            if stream is None:
                if name == "ssd_person":
                    raise SourceError(f"{name}{'.csv' if self.csv else ''}: "
                                      "required table not found")
                report.notes.append(f"{name}: not present; what it holds is not supplied")
                continue
            present.append(name)
            table = _Table(index, name, f"{name}.csv" if self.csv else name, columns[0],
                           columns[1], wanted, wanted.index(columns[0]))
            self.tables[index] = table
            if name in ("ssd_person", "ssd_department"):
                self._settle_all(table, stream)
            else:
                self._sort(table, stream)
        report.children = len(self.children)
        return present

    def _settle_all(self, t: _Table, stream: Iterator[TableRow]) -> None:
        """ssd_person and ssd_department: every row settled now (neither is large)."""
        report, seen = self.report, {}
        first: dict[str, str] = {}
        for line, values, digest in stream:
            where = self.where(line)
            if digest is not None:
                if digest in seen:
                    report.reject(t.file, where, f"exact duplicate of line {seen[digest]}")
                    continue
                seen[digest] = where
            row_id = values[t.id_at].strip()
            if not row_id:
                report.reject(t.file, where, f"{t.id_col} is blank")
                continue
            if row_id in first:
                report.reject(t.file, where,
                              f"a second row with the same {t.id_col} (first at {first[row_id]})")
                continue
            first[row_id] = where
            if t.name == "ssd_department":
                self.ctx.teams[row_id] = values[t.wanted.index("dept_team_name")].strip()
                report.used(t.file)
                continue
            # a person row is always used (``_person`` drops a bad cell, never the row), so it
            # is counted as used when its child's record is built
            ordinal = self.children[row_id] = len(self.children)
            self.runs.add((ordinal, t.index, line, None, values))

    def _sort(self, t: _Table, stream: Iterator[TableRow]) -> None:
        report, children, runs = self.report, self.children, self.runs
        person_at = t.wanted.index(t.person_col)
        first: dict[str, int] = {}  # row id -> the line it is first on
        repeated: set[str] = set()
        unknown: dict[bytes, str] = {}  # digests of rows naming no known child
        for line, values, digest in stream:
            row_id = values[t.id_at].strip()
            if row_id:
                at = first.setdefault(row_id, line)
                if at != line:
                    repeated.add(row_id)
            ordinal = children.get(values[person_at].strip())
            if ordinal is not None:
                runs.add((ordinal, t.index, line, digest, values))
                continue
            # no known child: settled now, in the same order of checks
            where = self.where(line)
            if digest is not None:
                if digest in unknown:  # its twin names the same (unknown) person
                    report.reject(t.file, where, f"exact duplicate of line {unknown[digest]}")
                    continue
                unknown[digest] = where
            if not row_id:
                report.reject(t.file, where, f"{t.id_col} is blank")
            elif first[row_id] != line:
                report.reject(t.file, where, f"a second row with the same {t.id_col} "
                                             f"(first at {self.where(first[row_id])})")
            elif not values[person_at].strip():
                report.reject(t.file, where, f"{t.person_col} is blank")
            else:
                report.reject(t.file, where, "person not in ssd_person", orphan=True)
        t.repeated = {row_id: self.where(first[row_id]) for row_id in repeated}


def _records(scan: _Scan, supplies: Supplies, extracted: str | None
             ) -> Iterator[dict[str, Any]]:
    """The second pass: the sorted rows, one child at a time, through the tables' mappings in
    the order of COLUMNS (and of lines within a table), as if every table were held at once."""
    report, ctx, tables = scan.report, scan.ctx, scan.tables
    try:
        for _, group in groupby(scan.runs.merged(), key=itemgetter(0)):
            kid: _Kid | None = None
            seen: dict[bytes, str] = {}
            current = -1
            for _, index, line, digest, values in group:
                t = tables[index]
                where = scan.where(line)
                if index != current:
                    current, seen = index, {}
                if kid is None:  # the child's ssd_person row sorts first
                    kid = _Kid(CaseBuilder(f"{SOURCE}:{values[0].strip()}", values[0].strip()))
                    ctx.file, ctx.where = t.file, where
                    _person(kid, dict(zip(t.wanted, values, strict=True)), ctx)
                    report.used(t.file)
                    continue
                if digest is not None:
                    if digest in seen:
                        report.reject(t.file, where, f"exact duplicate of line {seen[digest]}")
                        continue
                    seen[digest] = where
                row_id = values[t.id_at].strip()
                if not row_id:
                    report.reject(t.file, where, f"{t.id_col} is blank")
                    continue
                at = t.repeated.get(row_id)
                if at is not None and at != where:
                    report.reject(t.file, where,
                                  f"a second row with the same {t.id_col} (first at {at})")
                    continue
                cells = dict(zip(t.wanted, values, strict=True))
                cells["__id__"] = row_id
                ctx.file, ctx.where = t.file, where
                try:
                    HANDLERS[t.name](kid, cells, ctx)
                except _Bad as exc:
                    report.reject(t.file, where, str(exc))
                    continue
                report.used(t.file)
            assert kid is not None
            _finish(kid, ctx)
            report.records += 1
            yield kid.builder.record(SOURCE, supplies, extracted)
        _order_rejections(scan)
    finally:
        scan.runs.close()


def _order_rejections(scan: _Scan) -> None:
    """Rejections in the order of tables, then lines: the order of reading every table whole."""
    files = {t.file: t.index for t in scan.tables.values()}

    def key(r: Any) -> tuple[int, int]:
        file, _, where = r.where.rpartition(":")
        return files.get(file, -1), int(where.removeprefix("row "))

    scan.report.rejections.sort(key=key)


def _finish(kid: _Kid, ctx: _Context) -> None:
    """Periods of care, their placements and legal statuses, and the allocation."""
    b = kid.builder
    ids: dict[str, dict[str, Any]] = {}
    for key, period in kid.periods.items():
        end = None if period["open"] else period["end"]
        ids[key] = b.episode("la", key, "looked_after", period["start"], end)
    for status in sorted(kid.statuses, key=lambda s: s["start"]):
        home = next((p for p in ids.values() if p["start"] <= status["start"]
                     and (p["end"] is None or status["start"] <= p["end"])), None)
        if home is None:
            ctx.report.normalised("legal status outside any period of care → not attached")
            continue
        home.setdefault("legal_statuses", []).append(status)
        home["legal_status"] = status["code"]
    for cla_id, item in kid.placements:
        parent = ids.get(cla_id)
        b.episode("pl", item.pop("id"), "placement", item.pop("start"), item.pop("end"),
                  parent=parent["id"] if parent else None, **item)
    chosen = kid.involvement or kid.referral_team
    if chosen:
        _, worker, team = chosen
        if team:
            b.allocation["team"] = ctx.teams.get(team, team)
        if worker:
            b.allocation["worker"] = worker
