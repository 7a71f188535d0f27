"""Command-line wiring only: parse arguments, call a command function, map errors to exit codes."""

from __future__ import annotations

import argparse
import errno
import gc
import os
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from .errors import ENVIRONMENT_ERRNOS, NotecheckError, printable
from .inputs import DEFAULT_MAX_BYTES

if TYPE_CHECKING:
    from .checker import Checker

_Commands = Any  # argparse's subparsers action, whose class is private
INTERNAL_ERROR = 3
"""Exit code of a crash (a bug), so a scheduler can tell it from 1 (incomplete notes) and 2 (bad input)."""


def _at_least_one(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {number}")
    return number


def _positive(value: str) -> float:
    number = float(value)
    if not number > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, not {value}")
    return number


def _billed_option(command: argparse.ArgumentParser) -> None:
    """--billed CODE (alias --profile, also after the subcommand): judge notes against the billed code."""
    command.add_argument("--billed", "--profile", dest="billed", default=argparse.SUPPRESS, metavar="CODE",
                         help="the billed code to judge notes against, e.g. 0201T or 0201T-50 (default: the code "
                              "each note's documentation supports)")


def _fail_on(value: str) -> str:
    from .commands.audit import parse_fail_on

    try:
        parse_fail_on(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def _indications_option(command: argparse.ArgumentParser) -> None:
    command.add_argument("--indications", default="lcd-vertebral-augmentation", metavar="NAME",
                         help="indications criteria set, patterns/indications/NAME.json, checked beside the elements "
                              "as a coverage aid (default: lcd-vertebral-augmentation; 'none' turns it off)")


def _add_check(commands: _Commands) -> argparse.ArgumentParser:
    check = commands.add_parser("check", help="check notes and print a verdict per note")
    check.add_argument("notes", nargs="+", metavar="NOTE", help="note files, or - for standard input")
    check.add_argument("--format", choices=["text", "json", "markdown"], default="text",
                       help="markdown: a coder worksheet with evidence, findings and drafted queries")
    check.add_argument("--max-bytes", type=_at_least_one, default=DEFAULT_MAX_BYTES,
                       help="notes larger than this are refused (default: 1,000,000)")
    return check


def _add_query(commands: _Commands) -> argparse.ArgumentParser:
    query = commands.add_parser("query", help="draft compliant provider queries for what each note leaves out")
    query.add_argument("notes", nargs="+", metavar="NOTE", help="note files, or - for standard input")
    query.add_argument("--format", choices=["text", "json", "markdown"], default="text")
    return query


def _add_eval(commands: _Commands) -> argparse.ArgumentParser:
    evaluate = commands.add_parser("eval", help="score the checker against labeled notes")
    evaluate.add_argument("notes_dir", metavar="NOTES_DIR", help="folder of <id>.txt notes")
    evaluate.add_argument("labels", metavar="LABELS.jsonl", help="one label object per line")
    evaluate.add_argument("--format", choices=["text", "json"], default="text")
    evaluate.add_argument("--min-f1", type=float, help="exit 1 if any element's F1 for 'documented' is below")
    evaluate.add_argument("--min-code-accuracy", type=float, help="exit 1 if code accuracy is below")
    evaluate.add_argument("--min-coverage", type=float, help="exit 1 if the share of notes not in review is below")
    evaluate.add_argument("--max-false-codes", type=int, metavar="N",
                          help="exit 1 above N false codes (a code where none is due, or 0201T for 0200T) among the "
                               "notes not in review")
    evaluate.add_argument("--indications-labels", action="append", default=[], metavar="FILE",
                          help="labels of the indications checklist (notes beside the file, else in NOTES_DIR); "
                               "repeatable")
    evaluate.add_argument("--min-indication-f1", type=float, help="exit 1 if any criterion's F1 is below")
    return evaluate


def _add_audit(commands: _Commands) -> argparse.ArgumentParser:
    audit = commands.add_parser("audit", help="check a batch of notes and write JSONL, CSV, summary and HTML")
    audit.add_argument("inputs", nargs="+", metavar="INPUT",
                       help="folders (recursive), .jsonl, .csv, FHIR .json (DocumentReference or Bundle), "
                            "HL7 v2 (.hl7), or files")
    audit.add_argument("-o", "--out", default="audit-out", help="output folder (default: audit-out)")
    audit.add_argument("--glob", default="*.txt", help="file pattern inside folders (default: *.txt)")
    audit.add_argument("--id-column", default="note_id", help="CSV column holding the note id")
    audit.add_argument("--text-column", default="text", help="CSV column holding the note text")
    audit.add_argument("--max-bytes", type=_at_least_one, default=DEFAULT_MAX_BYTES,
                       help="notes larger than this are error rows (default: 1,000,000)")
    audit.add_argument("--workers", type=_at_least_one, default=None,
                       help="worker processes (default and most: the machine's cores)")
    audit.add_argument("--note-timeout", type=_positive, default=60.0, metavar="SECONDS",
                       help="a note checked longer than this becomes an error row (default: 60)")
    audit.add_argument("--group-by", default="", metavar="FIELD,...",
                       help="metadata fields to break outcomes down by in the summary and report (default: none)")
    audit.add_argument("--resume", action="store_true", help="continue an interrupted run in the same folder")
    audit.add_argument("--fail-on", type=_fail_on, default="incomplete,review", metavar="LIST",
                       help="verdicts that make the exit code 1 besides error rows: a comma list of incomplete, "
                            "review; 'errors' for error rows only; 'never' (default: incomplete,review)")
    audit.add_argument("--quiet", action="store_true", help="no progress bar or closing line on stderr")
    audit.add_argument("--format", choices=["auto", "hl7"], default="auto", dest="input_format",
                       help="hl7: read every input file as HL7 v2 (default auto: .hl7 files and files starting "
                            "with MSH/FHS/BHS are HL7)")
    _history_options(audit)
    return audit


def _history_options(audit: argparse.ArgumentParser) -> None:
    """--history FILE and its companions: the run is appended to an SQLite file and the page shows trends."""
    audit.add_argument("--history", metavar="FILE", help="append this run to an audit history (SQLite; created if "
                       "absent) and show its trends in report.html (see README, Audit history)")
    audit.add_argument("--history-key", metavar="FILE", help="keep note ids in the history as keyed hashes "
                       "(HMAC-SHA256) under the secret key in FILE (see README, Audit history)")
    audit.add_argument("--history-nights", type=_at_least_one, default=30, metavar="N",
                       help="nights of trends shown in report.html (default: 30)")
    audit.add_argument("--run-date", metavar="YYYY-MM-DD",
                       help="the night this run is recorded under (default: the date the run started)")
    audit.add_argument("--history-wait", type=_positive, default=600.0, metavar="SECONDS",
                       help="how long to wait for another audit appending to the same history (default: 600)")


def _add_history(commands: _Commands) -> None:
    history = commands.add_parser("history", help="print the trends of an audit history (--history FILE)")
    history.add_argument("file", metavar="FILE", help="the history file an audit's --history wrote")
    history.add_argument("--since", metavar="YYYY-MM-DD", help="first night of the period (default: the last "
                         "--nights nights)")
    history.add_argument("--until", metavar="YYYY-MM-DD", help="last night of the period (default: the latest run)")
    history.add_argument("--nights", type=_at_least_one, default=30, metavar="N",
                         help="nights in the period when --since is not given (default: 30)")
    history.add_argument("--group-by", default=None, metavar="FIELD,...",
                         help="fields to break rates down by (default: every field the period's runs recorded)")
    history.add_argument("--format", choices=["text", "csv"], default="text")
    history.add_argument("--table", choices=["nights", "groups", "transitions"],
                         help="one table only (CSV prints one table: default groups)")


def _add_negatives(commands: _Commands) -> None:
    negatives = commands.add_parser("negatives", help="list codes suggested on notes that are not sacroplasties")
    negatives.add_argument("inputs", nargs="+", metavar="INPUT", help="folder, .jsonl, .csv or note files")
    negatives.add_argument("--id-column", default="note_id", help="CSV column holding the note id")
    negatives.add_argument("--text-column", default="text", help="CSV column holding the note text")
    negatives.add_argument("--max-flagged", type=int, default=0, help="exit 1 above this many (default 0)")


def _add_serve(commands: _Commands) -> None:
    serve = commands.add_parser("serve", help="REST service and coder's web page (needs the [serve] extra)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    serve.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    serve.add_argument("--workers", type=_at_least_one, default=1,
                       help="worker processes, each with its own pipeline (default 1, at most the machine's cores)")
    serve.add_argument("--max-bytes", type=_at_least_one, default=1_000_000, help="request body limit (default: 1 MB)")
    serve.add_argument("--check-timeout", type=_positive, default=60.0, metavar="SECONDS",
                       help="a check running longer is stopped and answered 422 (default: 60)")
    serve.add_argument("--body-timeout", type=_positive, default=30.0, metavar="SECONDS",
                       help="a request body not received within this is answered 408 (default: 30)")
    serve.add_argument("--limit-concurrency", type=_at_least_one, default=64, metavar="N",
                       help="connections and requests per worker before uvicorn answers 503 (default: 64)")
    serve.add_argument("--timeout-keep-alive", type=_positive, default=5.0, metavar="SECONDS",
                       help="idle keep-alive connections are closed after this (default: 5)")


def _add_spark(commands: _Commands) -> argparse.ArgumentParser:
    spark = commands.add_parser("spark", help="audit on Apache Spark: write results.parquet and summary.json")
    spark.add_argument("inputs", nargs="+", metavar="INPUT", help="Parquet, .jsonl, .csv, or folders of .txt notes")
    spark.add_argument("-o", "--out", default="spark-out", help="output folder (default: spark-out)")
    spark.add_argument("--master", help="Spark master URL (default: spark-submit's, else local[*])")
    spark.add_argument("--partitions", type=_at_least_one, help="repartition the notes into N tasks before checking")
    spark.add_argument("--glob", default="*.txt", help="file pattern inside folders (default: *.txt)")
    spark.add_argument("--id-column", default="note_id", help="CSV/Parquet column holding the note id")
    spark.add_argument("--text-column", default="text", help="CSV/Parquet column holding the note text")
    spark.add_argument("--max-bytes", type=_at_least_one, default=1_000_000,
                       help="notes larger than this are error rows")
    spark.add_argument("--fail-on", type=_fail_on, default="incomplete,review", metavar="LIST",
                       help="as audit's --fail-on (default: incomplete,review)")
    spark.add_argument("--quiet", action="store_true", help="no progress or closing line on stderr")
    spark.add_argument("--group-by", default="", metavar="FIELD,...",
                       help="break the summary down by these input columns (none by default)")
    return spark


def _add_learning(commands: _Commands) -> None:
    train = commands.add_parser("train", help="train the learned reader and choose its review threshold "
                                              "(from the repository's root)")
    train.add_argument("--config", default="training/reader.cfg", help="the reader's spaCy config "
                                                                       "(default: training/reader.cfg)")
    train.add_argument("--output", help="model folder (default: the package's, src/notecheck/learning/model)")
    train.add_argument("--mtsamples", help="MTSamples CSV (default: ../shared/corpora/mtsamples/mtsamples.csv)")
    crossval = commands.add_parser("crossval", help="leave-writers-out figures of the rules, the learned reader "
                                                    "and the two under the review gate")
    crossval.add_argument("--config", action="append", metavar="CFG",
                          help="a reader config to cross-validate; repeatable (default: training/reader.cfg)")
    crossval.add_argument("--folds", type=_at_least_one, default=5, help="outer folds by writer (default: 5)")
    crossval.add_argument("--mtsamples", help="MTSamples CSV (default: ../shared/corpora/mtsamples/mtsamples.csv)")
    crossval.add_argument("--format", choices=["text", "json"], default="text")


class _Version(argparse.Action):
    """``--version``: the package and the regex engine this install matches with (Hyperscan, or Python's re
    where its wheel is absent or NOTECHECK_MATCHER=python), found only when asked."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and the regex engine, then exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        from importlib.metadata import version

        from .reading.matching import ENGINE

        print(f"notecheck {version('notecheck-sacral')}\nmatcher: {ENGINE}")
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="notecheck",
        description="Check procedure notes for the documentation CPT 0201T/0200T (sacroplasty) requires.",
    )
    parser.add_argument("--version", action=_Version)
    parser.add_argument("--patterns", metavar="DIR", help="pattern directory to use instead of the shipped one")
    parser.add_argument("--billed", "--profile", dest="billed", default=None, metavar="CODE",
                        help="the billed code to judge notes against, e.g. 0201T or 0201T-50 (default: the code each "
                             "note's documentation supports); also accepted after the subcommand")
    parser.add_argument("--no-learned", action="store_true",
                        help="the rules alone: do not run the learned reader (no review verdict, no learned reading)")
    commands = parser.add_subparsers(dest="command", required=True)
    check, query, audit = _add_check(commands), _add_query(commands), _add_audit(commands)
    evaluate = _add_eval(commands)
    _add_negatives(commands)
    _add_serve(commands)
    _add_history(commands)
    spark = _add_spark(commands)
    _add_learning(commands)
    for command in (check, query, evaluate, audit):
        _indications_option(command)
    for command in (check, query, audit, spark):
        _billed_option(command)
    for command in (check, query):
        command.add_argument("--indication-queries", action="store_true",
                             help="also draft coverage questions for prior-authorisation staff where the "
                                  "indications checklist finds a criterion named without its value")
    commands.add_parser("schema", help="print the JSON Schema of the report contract")
    return parser


def _fields(value: str) -> tuple[str, ...]:
    """'provider, department' -> ('provider', 'department')."""
    return tuple(field.strip() for field in value.split(",") if field.strip())


def _spark(args: argparse.Namespace, checker: Checker) -> int:
    try:
        from .commands.spark import spark_audit
    except ImportError as exc:
        raise NotecheckError(f"the spark command needs the [spark] extra (in the notecheck clone: "
                             f"pip install '.[spark]'): {exc}")
    return spark_audit(args.inputs, args.out, master=args.master, partitions=args.partitions,
                       id_column=args.id_column, text_column=args.text_column, glob=args.glob,
                       max_bytes=args.max_bytes, patterns=args.patterns, profile=args.billed,
                       fail_on=args.fail_on, quiet=args.quiet, group_by=_fields(args.group_by))


def _check(args: argparse.Namespace, checker: Checker) -> int:
    from .commands.check import check

    return check(args.notes, checker, fmt=args.format, max_bytes=args.max_bytes,
                 indication_queries=args.indication_queries)


def _query(args: argparse.Namespace, checker: Checker) -> int:
    from .commands.query import query

    return query(args.notes, checker, fmt=args.format, indication_queries=args.indication_queries)


def _serve(args: argparse.Namespace, checker: Checker) -> int:
    from .commands.serve import serve

    from .commands.serve import Limits

    limits = Limits(check_timeout=args.check_timeout, body_timeout=args.body_timeout,
                    limit_concurrency=args.limit_concurrency, timeout_keep_alive=args.timeout_keep_alive)
    return serve(args.host, args.port, args.workers, args.max_bytes, args.patterns, args.billed, limits=limits)


def _eval(args: argparse.Namespace, checker: Checker) -> int:
    from .commands.eval import Bars, evaluate

    bars = Bars(min_f1=args.min_f1, min_code_accuracy=args.min_code_accuracy, min_indication_f1=args.min_indication_f1,
                min_coverage=args.min_coverage, max_false_codes=args.max_false_codes)
    return evaluate(args.notes_dir, args.labels, checker, fmt=args.format, bars=bars,
                    indication_labels=args.indications_labels)


def _audit(args: argparse.Namespace, checker: Checker) -> int:
    from .batch.audit import AuditOptions, bounded_workers
    from .batch.history import HistorySettings
    from .commands.audit import audit

    if not args.history and (args.history_key or args.run_date):
        raise NotecheckError("--history-key and --run-date only apply with --history FILE")
    options = AuditOptions(patterns=args.patterns, profile=args.billed, resume=args.resume,
                           workers=bounded_workers(args.workers), note_timeout=args.note_timeout,
                           indications=checker.indications, learned=checker.learned)
    key = Path(args.history_key) if args.history_key else None
    history = (HistorySettings(Path(args.history), nights=args.history_nights, run_date=args.run_date,
                               wait=args.history_wait, key_file=key) if args.history else None)
    return audit(args.inputs, args.out, options, glob=args.glob, id_column=args.id_column,
                 text_column=args.text_column, max_bytes=args.max_bytes, fail_on=args.fail_on,
                 quiet=args.quiet, group_by=_fields(args.group_by), fmt=args.input_format, history=history,
                 checker=checker)


def _history(args: argparse.Namespace) -> int:
    from .commands.history import history

    return history(Path(args.file), since=args.since, until=args.until, nights=args.nights,
                   group_by=None if args.group_by is None else _fields(args.group_by), fmt=args.format,
                   table=args.table, patterns=args.patterns)


def _negatives(args: argparse.Namespace, checker: Checker) -> int:
    from .commands.negatives import negatives

    return negatives(args.inputs, checker, args.id_column, args.text_column, args.max_flagged)


def _train(args: argparse.Namespace, checker: Checker) -> int:
    from .commands.train import train_reader
    from .learning.reader import MODEL_DIR

    return train_reader(checker, args.config, args.output or str(MODEL_DIR), mtsamples=args.mtsamples)


def _crossval(args: argparse.Namespace, checker: Checker) -> int:
    from .commands.crossval import crossval

    return crossval(checker, args.config or ["training/reader.cfg"], folds=args.folds, mtsamples=args.mtsamples,
                    fmt=args.format)


_RUN = {"spark": _spark, "check": _check, "query": _query, "serve": _serve, "eval": _eval, "audit": _audit,
        "negatives": _negatives, "train": _train, "crossval": _crossval}
"""Each command's wiring; every command but 'schema' is given the checker the global options describe."""


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "schema":
            from .outputs.report_json import report_schema

            sys.stdout.write(report_schema())
            return 0
        if args.command == "history":  # reads a database: no pipeline to build
            return _history(args)
        from .checker import Checker

        indications = getattr(args, "indications", "lcd-vertebral-augmentation")
        checker = Checker(args.patterns, profile=args.billed, max_bytes=getattr(args, "max_bytes", None),
                          indications=None if indications == "none" else indications,
                          learned=not args.no_learned)
        code = _RUN[args.command](args, checker)
        sys.stdout.flush()  # here, not at exit: a full disk or a closed pipe is then reported like any other
        return code
    except NotecheckError as exc:
        print(f"notecheck: error: {printable(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        if exc.errno not in ENVIRONMENT_ERRNOS:
            return _internal_error(exc)
        return _environment_error(exc)
    except Exception as exc:  # a bug: one line a scheduler can log, without the note text a traceback may hold
        return _internal_error(exc)


def _environment_error(exc: OSError) -> int:
    """A full disk, a read-only output or a closed pipe: what the machine lacks, in one line; exit 2, not 'a bug'.
    An audit stopped this way continues with --resume once the cause is gone."""
    if exc.errno == errno.EPIPE:
        try:  # nobody reads standard output any more: point it at /dev/null so the final flush cannot fail too
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except OSError:
            pass
        problem = "the output was closed before everything was written (a closed pipe)"
    else:
        where = f"{exc.filename}: " if exc.filename else ""
        problem = f"{where}cannot write ({exc.strerror or exc})"
    print(f"notecheck: error: {printable(problem)}", file=sys.stderr)
    return 2


def _internal_error(exc: BaseException) -> int:
    """A bug: one line a scheduler can log, without the note text a traceback may hold."""
    frame = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" at {Path(frame.filename).name}:{frame.lineno}" if frame else ""
    print(f"notecheck: internal error: {type(exc).__name__}{where} (a bug; please report it)", file=sys.stderr)
    return INTERNAL_ERROR


def run() -> NoReturn:
    """The ``notecheck`` program: main(), then exit without collecting the pipeline's garbage.

    At exit Python runs its cycle collector over every object still alive: the pipeline's vocabulary, rules and
    models, a quarter of a second on a one-note audit. Frozen objects are skipped; the process is ending, so the
    memory goes back with it. Our files are closed by then; standard streams are flushed and exit handlers run as
    usual. Not part of main(), which a notebook or a test may call many times in one process."""
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run()
