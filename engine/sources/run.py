"""One import, end to end: read a source, write JSONL and the import report.

The command line calls this and nothing else, so that the CLI stays a thin layer of options.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from .casefile import write_jsonl
from .report import ImportReport, SourceError

SOURCES = ("ssd", "ssda903", "cin")


def open_source(kind: str, path: Path | None, report: ImportReport, *,
                schema: str | None = None, url_env: str | None = None
                ) -> Iterator[dict[str, Any]]:
    """The records of one source; a database is read only for ``ssd`` with ``path`` None."""
    if kind == "ssd":
        from .ssd import URL_ENV, read_ssd

        return read_ssd(path, report, url_env=url_env or URL_ENV, schema=schema)
    if path is None:
        raise SourceError(f"{kind}: give the folder or file to import")
    if kind == "ssda903":
        from .ssda903 import read_ssda903

        return read_ssda903(path, report)
    if kind == "cin":
        from .cin import read_cin

        return read_cin(path, report)
    raise SourceError(f"unknown source {kind!r}; one of {', '.join(SOURCES)}")


def run_import(kind: str, path: Path | None, out: Path, report_out: Path | None = None, *,
               schema: str | None = None, url_env: str | None = None) -> ImportReport:
    """Write ``out`` (JSONL) and, if asked, ``report_out`` (JSON); returns the report."""
    report = ImportReport(kind)
    records = open_source(kind, path, report, schema=schema, url_env=url_env)
    write_jsonl(records, out)
    if report_out is not None:
        report_out.write_bytes(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2))
    return report


FORMATS = ("json", *SOURCES)


def write_extract(kind: str, records: Iterable[dict[str, Any]], out: Path) -> int:
    """Write case records as an extract of ``kind``: ``json`` (JSONL file), ``ssd`` (a folder of
    CSV tables), ``ssda903`` (a folder of CSV files) or ``cin`` (an XML file).  Returns how
    many records (children) were written."""
    if kind == "json":
        return write_jsonl(records, out)
    if kind == "ssd":
        from .ssd_writer import write_ssd

        return write_ssd(records, out)
    if kind == "ssda903":
        from .ssda903_writer import write_ssda903

        return write_ssda903(records, out)
    if kind == "cin":
        from .cin_writer import write_cin

        return write_cin(records, out)
    raise SourceError(f"unknown format {kind!r}; one of {', '.join(FORMATS)}")
