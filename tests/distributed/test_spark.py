"""The Spark job (issue 14) writes the same findings lines as ``casecheck sweep``.

Runs PySpark in local mode; skipped, saying why, where Java or PySpark is missing (install the
extra: pip install -e '.[spark]').
"""

from __future__ import annotations

import shutil
import sys
from datetime import date
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from cli import main
from engine.synthetic import generate_cohort

AS_OF = date(2024, 6, 28)

pyspark = pytest.importorskip("pyspark", reason="PySpark is not installed (extra 'spark')")
if shutil.which("java") is None:
    pytest.skip("Java is not installed (PySpark needs a JVM)", allow_module_level=True)


def test_a_spark_job_writes_the_clis_findings_lines(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from pyspark.sql import SparkSession

    from engine.distributed.spark import sweep_lines

    data = tmp_path / "cases.jsonl"
    data.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in generate_cohort(12, 4, AS_OF)))
    result = CliRunner().invoke(main, ["sweep", str(data), "--out", str(tmp_path / "cli"),
                                       "--as-of", AS_OF.isoformat(), "--profile", "practice"])
    assert result.exit_code == 0, result.output
    expected = (tmp_path / "cli" / "findings.jsonl").read_text().splitlines()

    # the executors' Python is this one (with the engine and its dependencies)
    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)
    monkeypatch.setenv("PYSPARK_DRIVER_PYTHON", sys.executable)
    spark = (SparkSession.builder.master("local[2]").appName("casecheck-test")
             .config("spark.ui.enabled", "false").getOrCreate())
    try:
        rows = spark.sparkContext.textFile(str(data), minPartitions=3).zipWithIndex()
        lines = rows.mapPartitions(sweep_lines("practice", AS_OF, str(data))).collect()
    finally:
        spark.stop()
    assert lines == expected


def test_row_to_record_accepts_json_text_or_a_struct() -> None:
    from engine.distributed.spark import row_to_record

    record = next(iter(generate_cohort(1, 1, AS_OF)))
    assert orjson.loads(row_to_record({"record": orjson.dumps(record).decode()})) == record
    assert orjson.loads(row_to_record(record)) == record
