"""The `oncoseries` command: demo, validate, analyze, serve, reconstruct, digitize, design.

Exit codes: 0 usable / done, 1 the study has errors, 2 usage error (bad option or path), 3 internal
error (a short message, never a traceback; set ONCOSERIES_DEBUG=1 to see one).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="oncoseries: a retrospective oncology case series, from spreadsheets to a report.")


def _print_problems(problems, limit: int | None = None) -> None:
    shown = problems if limit is None else problems[:limit]
    for p in shown:
        typer.echo(f"  {p}")
    if limit is not None and len(problems) > limit:
        typer.echo(f"  ... and {len(problems) - limit} more (see the full list in the report)")


def _study_path_or_exit(study: Path) -> Path:
    if not study.exists():
        typer.echo(f"Error: {study} does not exist (expected a study folder or .xlsx workbook).", err=True)
        raise typer.Exit(2)
    return study


def validation_json(report) -> dict:
    """`validate --format json`: the same problems as the text listing, machine-readable (docs/validation.md)."""
    study = report.study
    flow = None
    if study is not None and study.flow is not None:
        flow = [{"population": r["population"], "label": r["label"], "n": int(r["n"]),
                 "included": int(r["included"]), "excluded": int(r["excluded"]), "reasons": r["reasons"]}
                for r in study.flow.summary().to_dict(orient="records")]
    return {"valid": bool(report.usable), "path": str(report.path),
            "source": None if study is None else study.source,
            "patients": None if study is None else int(len(study.patients)),
            "errors": len(report.errors), "warnings": len(report.warnings),
            "notes": list(report.notes),  # how the input was read (e.g. which REDCap file is which)
            "problems": [p.to_dict() for p in report.problems], "flow": flow}


@app.command()
def validate(study: Path = typer.Argument(..., help="Study folder, .xlsx workbook, or REDCap export folder"),
             max_warnings: int = typer.Option(200, help="List at most this many warnings"),
             format: str = typer.Option("text", "--format", "-f",
                                        help="text (for people) or json (for scripts: every problem)")) -> None:
    """Check a study: every problem with file, row and column. Exit 0 when usable, 1 when not."""
    from .study import validate_study

    if format not in ("text", "json"):
        typer.echo(f"Error: --format must be text or json, not {format!r}.", err=True)
        raise typer.Exit(2)
    report = validate_study(_study_path_or_exit(study))
    if format == "json":
        import json

        typer.echo(json.dumps(validation_json(report), indent=2, ensure_ascii=False))
        raise typer.Exit(0 if report.usable else 1)
    errors, warnings = report.errors, report.warnings
    for note in report.notes:
        typer.echo(f"  {note}")
    if report.study is not None:
        typer.echo(f"{study}: {report.study.describe()} ({report.study.source})")
    if errors:
        typer.echo(f"{len(errors)} error(s) - the study cannot be analysed until they are fixed:")
        _print_problems(errors)
    if warnings:
        typer.echo(f"{len(warnings)} warning(s) - carried into the report:")
        _print_problems(warnings, max_warnings)
    if report.usable:
        typer.echo("The study is usable." if not warnings else "The study is usable (see the warnings).")
        raise typer.Exit(0)
    raise typer.Exit(1)


def _run_analysis(study: Path, out: Path, timings: bool = False, figures: bool = True,
                  dask: str | None = None, progress: bool = False) -> None:
    if dask:
        from .scale.derive import DaskSpecError, dask_engine

        try:
            with dask_engine(dask):
                return _run_analysis(study, out, timings, figures, None, progress)
        except DaskSpecError as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(2) from None
    from . import timings as tm

    if timings:
        tm.start()
    import gc

    gc.disable()   # no collection while the imports below build what lives as long as the process (they ran
    try:           # ~160 collections, 0.05-0.09 s before the fork; ~0.08 s more in the figure worker)
        worker = _shared_imports()   # figures drawn in a forked process from the start (docs/figures.md)

        # forked before the analysis code is imported (and before any thread: progress bar): the worker imports
        # matplotlib and the drawing code on the other core while this process imports the analysis and reads
        drawer = worker.start(out / "figures") if figures else None
        from .analysis import analyze, write_outputs
        from .study import StudyError, read_study

        tm.lap("start-up (imports)")
        gc.freeze()   # what the imports made lives as long as the process: the collections (and those of every
        #               child forked later) no longer walk it (~0.05-0.2 s of CPU per process that collects fully)
    finally:
        gc.enable()

    from .progress import show
    from .analysis import write_early   # derived/CDISC files written by a forked process (docs/scale.md)

    writer = write_early.start(out)
    from .analysis import beside

    beside.enable()   # independent statistics sections in forked children (analysis/beside.py)
    try:
        with show(enabled=progress):
            try:
                owned = read_study(study)
                owned.transient = True    # this command owns the Study: tables are freed once used
                results = analyze(owned)
                del owned
            except StudyError as exc:
                typer.echo(f"{study}: the study has errors; nothing was analysed.")
                _print_problems([p for p in exc.problems if p.severity == "error"], 100)
                raise typer.Exit(1)
            try:
                written = write_outputs(results, out, figures=figures)
            except write_early.WriteError as exc:
                typer.echo(f"Error: {exc}", err=True)
                raise typer.Exit(1) from None
    except BaseException:
        if drawer is not None:
            drawer.close(abort=True)   # an error or Ctrl+C: do not wait for figures nobody will see
        if writer is not None:
            writer.abort()
        raise
    if drawer is not None:
        drawer.close()
    typer.echo(results.summary_text())
    report = out / "report.html"
    typer.echo(f"Outputs written to {out} ({len(written)} files).")
    if report.exists():
        typer.echo(f"Open the report: {report.resolve()} (Word: {(out / 'report.docx').resolve()})")
    typer.echo(f"Every number: {out / 'results.json'}")
    if timings:
        typer.echo("Wall time per stage (not in results.json):\n" + tm.format_table(tm.stop()), err=True)


@app.command()
def analyze(study: Path = typer.Argument(..., help="Study folder or .xlsx workbook"),
            out: Path = typer.Option(Path("oncoseries-out"), "--out", "-o", help="Output folder"),
            timings: bool = typer.Option(False, "--timings",
                                         help="Print the wall time of each stage to stderr"),
            figures: bool = typer.Option(True, "--figures/--no-figures",
                                         help="Draw the figures (--no-figures: tables and text only, faster)"),
            dask: str = typer.Option(None, "--dask", metavar="local[:N]|tcp://HOST:PORT",
                                     help="Derive responses and endpoints per block of patients on a Dask "
                                          "cluster: a local one of N worker processes, or a running "
                                          "scheduler (docs/scale.md)"),
            progress: bool = typer.Option(True, "--progress/--no-progress",
                                          help="Progress per stage on stderr (a bar on a terminal, "
                                               "log lines otherwise)")) -> None:
    """Analyse a study and write results.json, derived tables and the report to OUT."""
    _run_analysis(_study_path_or_exit(study), out, timings, figures, dask, progress)


@app.command()
def demo(out: Path = typer.Option(Path("oncoseries-demo"), "--out", "-o", help="Output folder")) -> None:
    """Analyse the bundled example study (synthetic, not patient data) and write its report."""
    from .examples import example_study_path

    path = example_study_path()
    typer.echo(f"Example study (SYNTHETIC - not patient data): {path}")
    _run_analysis(path, out)


@app.command()
def serve(host: str = typer.Option("127.0.0.1", help="Address to listen on (loopback by default)"),
          port: int = typer.Option(8000, help="Port"),
          data_dir: Path = typer.Option(None, "--data-dir", help="Data folder (default: a per-user data folder)"),
          database_url: str = typer.Option(None, "--database-url",
                                           help="SQLAlchemy URL, e.g. postgresql+psycopg://user:pw@host/db "
                                                "(default: SQLite in the data folder)"),
          token: str = typer.Option(None, "--token", envvar="ONCOSERIES_TOKEN",
                                    help="Require 'Authorization: Bearer TOKEN' on /api and a login on pages"),
          users: Path = typer.Option(None, "--users", help="Users file (name:argon2-hash lines; make one with "
                                                          "python -m oncoseries.web.users NAME)"),
          max_upload_mb: float = typer.Option(50.0, "--max-upload-mb", help="Largest upload accepted (MB)"),
          workers: int = typer.Option(None, "--workers", help="Analyses run at once (default: min(4, CPUs))"),
          ) -> None:
    """Run the web application (docs/web.md): http://HOST:PORT/ in a browser, JSON API under /api."""
    try:
        from .web.settings import Settings, default_data_dir
    except ImportError as exc:  # pragma: no cover - the web dependencies are main dependencies
        typer.echo(f"Error: the web application needs its dependencies ({exc.name}); pip install oncoseries",
                   err=True)
        raise typer.Exit(2) from None
    kw = {"workers": workers} if workers else {}
    settings = Settings(data_dir=data_dir or default_data_dir(), database_url=database_url, token=token or None,
                        host=host, port=port, max_upload_mb=max_upload_mb, users_file=users, warm_workers=True, **kw)
    reason = settings.refusal()
    if not reason and users is not None:
        from .web.users import UsersFileError, read_users

        try:
            read_users(users)
        except (OSError, UsersFileError) as exc:
            reason = str(exc)
    if reason:
        typer.echo(f"Error: {reason}", err=True)
        raise typer.Exit(2)
    if max_upload_mb <= 0 or not 0 < port < 65536:
        typer.echo("Error: --max-upload-mb must be > 0 and --port between 1 and 65535", err=True)
        raise typer.Exit(2)
    import logging

    import uvicorn

    from .web import create_app

    log = logging.getLogger("oncoseries.web")   # ids and states only: never a patient value (docs/web.md)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s:     %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)

    web_app = create_app(settings)
    typer.echo(f"oncoseries web application on http://{host}:{port}/ (data: {settings.data_dir}; Ctrl+C stops)")
    uvicorn.run(web_app, host=host, port=port, log_level="info", proxy_headers=True,
                forwarded_allow_ips="127.0.0.1")


def _read_table(path: Path, what: str):
    """A CSV the user named, or exit 2 with a one-line reason."""
    import pandas as pd

    if not path.is_file():
        typer.echo(f"Error: {path} does not exist (expected {what}).", err=True)
        raise typer.Exit(2)
    try:
        return pd.read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        typer.echo(f"Error: {path}: cannot be read as CSV ({exc}); expected {what}.", err=True)
        raise typer.Exit(1) from None


@app.command()
def reconstruct(curve: Path = typer.Argument(..., help="Digitised points CSV (time, survival; e.g. from "
                                                       "WebPlotDigitizer or oncoseries digitize)"),
                at_risk: Path = typer.Option(None, "--at-risk", help="Published numbers at risk CSV (time, n_risk)"),
                n_total: int = typer.Option(None, "--n-total", help="Patients at time 0 (without --at-risk)"),
                events_total: int = typer.Option(None, "--events-total", help="Published total number of events"),
                curve_name: str = typer.Option(None, "--curve", help="Which curve of a CSV with a 'curve' column"),
                out: Path = typer.Option(..., "--out", "-o", help="Output CSV of patients (time, event)")) -> None:
    """Reconstruct patient data from a published Kaplan-Meier curve (Guyot et al. 2012)."""
    from .compare.guyot import reconstruct_ipd

    points = _read_table(curve, "digitised points with columns time, survival")
    if "curve" in points.columns:
        names = list(dict.fromkeys(points["curve"].astype(str)))
        if curve_name is None and len(names) > 1:
            typer.echo(f"Error: {curve} holds {len(names)} curves ({', '.join(names)}); choose one with --curve.",
                       err=True)
            raise typer.Exit(2)
        pick = curve_name if curve_name is not None else names[0]
        if pick not in names:
            typer.echo(f"Error: {curve} has no curve {pick!r} (curves: {', '.join(names)}).", err=True)
            raise typer.Exit(2)
        points = points[points["curve"].astype(str) == pick].drop(columns="curve")
    table = None if at_risk is None else _read_table(at_risk, "numbers at risk with columns time, n_risk")
    try:
        ipd = reconstruct_ipd(points, table, n_total=n_total, events_total=events_total)
    except (ValueError, TypeError) as exc:
        typer.echo(f"Error: {curve}" + (f" with {at_risk}" if at_risk else "") + f": {exc}", err=True)
        raise typer.Exit(1) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    ipd.to_csv(out, index=False, lineterminator="\n")
    fit = ipd.attrs["fit"]
    for note in ipd.attrs.get("notes", []):
        typer.echo(f"  {note}")
    typer.echo(f"{fit['n']} patients, {fit['events']} events"
               + ("" if fit["events_published"] is None else f" (published {fit['events_published']})")
               + f"; Kaplan-Meier of the reconstruction vs the points: largest difference "
               f"{100 * fit['max_abs_diff']:.1f}, mean {100 * fit['mean_abs_diff']:.2f} percentage points.")
    if fit["at_risk"] and len(fit["at_risk"]) > 1:
        typer.echo("  numbers at risk, published / reconstructed: " + ", ".join(
            f"{r['time']:g}: {r['published']}/{r['reconstructed']}" for r in fit["at_risk"]))
    typer.echo(f"Patients written to {out}")


@app.command()
def digitize(image: Path = typer.Argument(..., help="PNG or JPEG of a Kaplan-Meier plot"),
             x_range: tuple[float, float] = typer.Option(..., "--x-range", help="Values at the first and last x tick"),
             y_range: tuple[float, float] = typer.Option((0.0, 1.0), "--y-range",
                                                         help="Values at the first and last y tick (0 1 or 0 100)"),
             color: list[str] = typer.Option(None, "--color", help="Colour of a curve (repeat for several; "
                                                                   "default: every coloured curve)"),
             out: Path = typer.Option(..., "--out", "-o", help="Output CSV (curve, time, survival)")) -> None:
    """Read Kaplan-Meier curves from an image by colour (for oncoseries reconstruct)."""
    from .compare.digitize import digitize_km

    if not image.is_file():
        typer.echo(f"Error: {image} does not exist (expected a PNG or JPEG image).", err=True)
        raise typer.Exit(2)
    try:
        points = digitize_km(image, x_range, y_range, colors=color or None)
    except (ValueError, TypeError) as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(1) from None
    out.parent.mkdir(parents=True, exist_ok=True)
    points.to_csv(out, index=False, lineterminator="\n")
    for name, grp in points.groupby("curve", sort=False):
        typer.echo(f"  curve {name}: {len(grp)} points, time {grp['time'].min():.3g}-{grp['time'].max():.3g}, "
                   f"survival {grp['survival'].min():.3f}-{grp['survival'].max():.3f}")
    typer.echo(f"Points written to {out} (check them against the figure before reconstructing).")


from .design.cli import design_app  # noqa: E402  (`oncoseries design ...`, docs/trial-design.md)

app.add_typer(design_app, name="design")


def _exit_now(code) -> None:
    """Leave the process without Python's tear-down (issue 13: about 0.25 s of freeing modules and objects
    after every ``oncoseries analyze``) once everything is written: output streams flushed, logging shut
    down, no child process left (a forked figure worker is joined by the command). Falls back to a normal
    exit when a child is still running, so none is orphaned."""
    import multiprocessing
    import threading

    if code is None:
        code = 0
    elif not isinstance(code, int):           # sys.exit("message"): Python prints it and exits 1
        sys.stderr.write(f"{code}\n")
        code = 1
    style = sys.modules.get("oncoseries.report.style")
    if style is not None:
        style.stop_png_writer()                # every PNG written, its thread ended
    if multiprocessing.active_children() or any(
            t.is_alive() and not t.daemon and t is not threading.main_thread() for t in threading.enumerate()):
        sys.exit(code)                        # a child process or a working thread: the normal exit waits
    if "logging" in sys.modules:
        sys.modules["logging"].shutdown()
    from .report.orphan import flush_std_streams

    flush_std_streams()
    os._exit(code)


def _prestart(args: list[str]) -> None:
    """``analyze`` and ``demo`` with figures (not ``--dask``, not ``--help``): numpy and pandas imported and the
    figure worker forked (report/worker.prestart) before typer parses the command line, without garbage
    collection until _run_analysis freezes what the imports made (issue 13: the parsing imports pydantic, which
    then overlaps the worker's matplotlib import)."""
    if not args or args[0] not in ("analyze", "demo"):
        return
    if any(a in ("--no-figures", "--help", "-h") or a.startswith("--dask") for a in args[1:]):
        return
    import gc

    gc.disable()   # switched on again by _run_analysis once the imports are frozen (or the process ends)
    _shared_imports().prestart()


def _shared_imports():
    """What the command and its figure worker both need, imported once before the worker is forked: numpy and
    pandas, with one BLAS thread per process (the command forks its own workers, figures and writers, and
    OpenBLAS's pool of idle threads spun ~0.08 s of CPU at numpy's import alone; a large Cox fit limits BLAS to one
    thread anyway, stats/_cox_numpy.py; a value the user set is kept). Returns report.worker."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    import pandas  # noqa: F401

    from .report import worker

    return worker


def _discard_prestarted() -> None:
    worker = sys.modules.get("oncoseries.report.worker")
    if worker is not None:
        worker.discard_prestarted()


def main() -> None:
    """Console entry point: no traceback ever reaches the user."""
    try:
        _prestart(sys.argv[1:])
        app()
    except SystemExit as done:
        _discard_prestarted()           # a usage error before the analysis: the early figure worker ends
        if os.environ.get("ONCOSERIES_SLOW_EXIT"):
            raise
        _exit_now(done.code)
    except KeyboardInterrupt:
        _discard_prestarted()
        typer.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception as exc:  # the last guard: a short message, never a traceback
        _discard_prestarted()
        if os.environ.get("ONCOSERIES_DEBUG"):
            raise
        typer.echo(f"oncoseries: internal error ({type(exc).__name__}: {exc}). This is a bug in oncoseries; "
                   "please report it with the command you ran (rerun with ONCOSERIES_DEBUG=1 for details).",
                   err=True)
        sys.exit(3)


if __name__ == "__main__":  # pragma: no cover
    main()
