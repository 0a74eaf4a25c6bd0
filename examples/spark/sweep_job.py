"""A regional sweep on Spark: every authority's case records, one findings line per case.

    spark-submit examples/spark/sweep_job.py cases.jsonl out/findings --profile practice \
        --as-of 2025-06-30

(pip install -e '.[spark]' for a local run; on a cluster, ship the ``engine`` package, e.g.
``--py-files casecheck.zip``.)  The output folder holds part files of findings lines, the same
lines ``casecheck sweep`` writes to findings.jsonl, in input order.
"""

from __future__ import annotations

import argparse
from datetime import date

from pyspark.sql import SparkSession

from engine.distributed.spark import sweep_lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--profile", default="england")
    parser.add_argument("--as-of", type=date.fromisoformat, required=True)
    parser.add_argument("--name", default=None, help="the input's name in each line's source")
    args = parser.parse_args(argv)
    spark = SparkSession.builder.appName("casecheck-sweep").getOrCreate()
    try:
        lines = spark.sparkContext.textFile(args.input).zipWithIndex()
        found = lines.mapPartitions(sweep_lines(args.profile, args.as_of,
                                                args.name or args.input))
        found.saveAsTextFile(args.output)
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
