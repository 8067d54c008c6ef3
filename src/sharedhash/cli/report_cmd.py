"""``sharedhash report``: CyberTipline reports on this node's own database (the org's admin commands): reporter
details and credentials (the password read from a file or a prompt, never the command line, stored encrypted),
drafting a report from local files (hashed, their bytes attached), validating, submitting, status, listing,
retracting and exporting."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from sharedhash.cli.hub_common import JSON_OPTION
from sharedhash.cli.output import console, emit_json, err_console, handle_errors

if TYPE_CHECKING:
    from sharedhash.settings import Settings
    from sharedhash.store.db import Database
    from sharedhash.store.visibility import Caller

HELP = "CyberTipline reports: credentials, reporter details, draft, validate, submit, status, list, retract, export."

report_app = typer.Typer(help=HELP, no_args_is_help=True)
credentials_app = typer.Typer(help="The org's CyberTipline accounts (test and production).", no_args_is_help=True)
report_app.add_typer(credentials_app, name="credentials")

ORG_OPTION = typer.Option(..., "--org", help="The org (in this node's database) the reports belong to.")
ENV_OPTION = typer.Option("test", "--env", help="The CyberTipline environment: test or production.")
_PASSWORD_FILE = typer.Option(
    None, "--password-file", help="Read the password from this file (first line); default: prompt for it."
)
_EMAIL = typer.Option(..., "--email", help="The reporter's contact email (repeatable).")
_PHONE = typer.Option([], "--phone", help="A contact phone number (repeatable).")
_FILES = typer.Argument(..., help="The files to report (hashed here; their bytes are attached).")
_OUTPUT = typer.Option(..., "--output", "-o", help="The ZIP file to write.")


def _open() -> tuple[Database, Settings]:
    from sharedhash.settings import get_settings
    from sharedhash.store.db import database_url, open_database

    settings = get_settings()
    return open_database(database_url(settings)), settings


def _caller(db: Database, org: str) -> Caller:
    from sharedhash.store.orgs import caller_for_org, get_org_by_name

    with db.reading() as session:
        return caller_for_org(get_org_by_name(session, org))


def _env(name: str) -> Any:
    from sharedhash.errors import InvalidInputError
    from sharedhash.reports.model import Environment

    try:
        return Environment(name)
    except ValueError:
        raise InvalidInputError(f"unknown environment {name!r}", hint="Use test or production.") from None


def _show(report: dict[str, Any], as_json: bool) -> None:
    if as_json:
        emit_json(_jsonable(report))
        return
    console.print(
        f"report [bold]{report['id']}[/] about {report['uploader_id']}: [bold]{report['status']}[/] "
        f"({report['environment']}, {len(report['files'])} files)",
        highlight=False,
    )
    if report["ncmec_report_id"] is not None:
        console.print(f"  CyberTipline report id {report['ncmec_report_id']}", highlight=False)
    if report["last_error"]:
        console.print(f"  last error ({report['last_error_code']}): {report['last_error']}", highlight=False)
    if report["next_attempt_at"] is not None and report["status"] in ("submitting", "submitted"):
        console.print(f"  next attempt at {report['next_attempt_at']:%Y-%m-%d %H:%M:%S} UTC", highlight=False)


def _jsonable(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str))


@credentials_app.command("set")
def credentials_set(
    org: str = ORG_OPTION,
    env: str = ENV_OPTION,
    username: str = typer.Option(..., "--username", help="The CyberTipline account's user name."),
    password_file: Path | None = _PASSWORD_FILE,
    url: str | None = typer.Option(None, "--url", help="The API's base URL (default: NCMEC's for the environment)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Set the org's CyberTipline account for an environment; the password is stored encrypted."""
    with handle_errors(as_json=as_json):
        from sharedhash.errors import FileAccessError, InvalidInputError
        from sharedhash.server.reports import service

        environment = _env(env)
        if password_file is not None:
            try:
                password = password_file.read_text(encoding="utf-8").splitlines()[0].strip()
            except (OSError, IndexError, UnicodeDecodeError) as exc:
                raise FileAccessError(f"cannot read a password from {password_file}: {exc}") from None
        else:
            password = typer.prompt("CyberTipline password", hide_input=True)
        if not password:
            raise InvalidInputError("the password is empty")
        db, settings = _open()
        try:
            shown = service.set_credentials(db, settings, _caller(db, org), environment, username, password, url)
        finally:
            db.dispose()
        if as_json:
            emit_json(_jsonable(shown))
        else:
            console.print(f"stored the {env} account {username} for {org} (password encrypted)", highlight=False)


@credentials_app.command("list")
def credentials_list(org: str = ORG_OPTION, as_json: bool = JSON_OPTION) -> None:
    """The org's CyberTipline accounts (never a password)."""
    with handle_errors(as_json=as_json):
        from sharedhash.server.reports import service

        db, _ = _open()
        try:
            rows = service.list_credentials(db, _caller(db, org))
        finally:
            db.dispose()
        if as_json:
            emit_json(_jsonable(rows))
        else:
            for row in rows:
                console.print(f"{row['environment']}: {row['username']} at {row['url']}", highlight=False)


@report_app.command("reporter")
def reporter(
    org: str = ORG_OPTION,
    email: list[str] = _EMAIL,
    first_name: str = typer.Option("", "--first-name", help="The reporting person's first name."),
    last_name: str = typer.Option("", "--last-name", help="The reporting person's last name."),
    phone: list[str] = _PHONE,
    env: str = typer.Option("test", "--env", help="The environment new drafts use: test or production."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Set the org's reporter details (drafts made from now on carry them) and default environment."""
    with handle_errors(as_json=as_json):
        from pydantic import ValidationError

        from sharedhash.hub_errors import RequestValidationFailedError
        from sharedhash.server.reports import service
        from sharedhash.server.reports.schemas import ReporterIn

        try:
            checked = ReporterIn.model_validate(
                {"person": {"first_name": first_name, "last_name": last_name, "emails": email, "phones": phone}}
            )
        except ValidationError as exc:
            raise RequestValidationFailedError(f"invalid reporter details: {exc.errors()[0]['msg']}") from None
        db, settings = _open()
        try:
            caller = _caller(db, org)
            hook = service.get_settings_of(db, caller)["pre_submit_url"]  # kept (the API sets it)
            service.put_settings_of(db, settings, caller, checked.model_dump(mode="json"), _env(env), hook)
            shown = service.get_settings_of(db, caller)
        finally:
            db.dispose()
        if as_json:
            emit_json(_jsonable(shown))
        else:
            console.print(f"reporter details of {org} set (default environment {env})", highlight=False)


@report_app.command("draft")
def draft(
    files: list[Path] = _FILES,
    org: str = ORG_OPTION,
    uploader: str = typer.Option(..., "--uploader", help="The platform's id of the user who uploaded them."),
    screen_name: str = typer.Option("", "--screen-name", help="The uploader's screen name."),
    viewed: bool = typer.Option(
        False, "--viewed/--not-viewed", help="Whether a person at the platform viewed the files."
    ),
    follows: int | None = typer.Option(None, "--follows", help="An earlier finished report this one follows up."),
    env: str | None = typer.Option(None, "--env", help="The environment (default: the org's)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Draft a report about one uploader from local files: each is hashed (MD5, SHA-1) and its bytes attached."""
    with handle_errors(as_json=as_json):
        import hashlib

        from sharedhash.errors import FileAccessError
        from sharedhash.server.reports import service

        contents = []
        for path in files:
            try:
                contents.append((path.name, path.read_bytes()))
            except OSError as exc:
                raise FileAccessError(f"cannot read {path}: {exc.strerror}") from None
        drafted = [
            service.DraftFile(
                file_name=name,
                hashes=(("md5", hashlib.md5(data).hexdigest()), ("sha1", hashlib.sha1(data).hexdigest())),
                viewed_by_esp=viewed,
            )
            for name, data in contents
        ]
        db, settings = _open()
        try:
            caller = _caller(db, org)
            report_id = service.create(
                db,
                caller,
                uploader,
                drafted,
                environment=_env(env) if env else None,
                follows_report_id=follows,
                reported_person={"screen_name": screen_name} if screen_name else {},
            )
            shown = service.show(db, settings, caller, report_id)
            for file, (_, data) in zip(shown["files"], contents, strict=True):
                service.attach(db, settings, caller, report_id, file["id"], data)
            shown = service.show(db, settings, caller, report_id)
        finally:
            db.dispose()
        _show(shown, as_json)


def _one(action: str, report_id: int, org: str, as_json: bool) -> None:
    from sharedhash.server.reports import service

    db, settings = _open()
    try:
        caller = _caller(db, org)
        if action == "submit":
            with err_console.status(f"submitting report {report_id} to the CyberTipline…", spinner="dots"):
                shown = service.submit(db, settings, caller, report_id)
        elif action == "retract":
            shown = service.retract(db, settings, caller, report_id)
        else:
            shown = service.show(db, settings, caller, report_id)
    finally:
        db.dispose()
    _show(shown, as_json)


@report_app.command("submit")
def submit(
    report_id: int = typer.Argument(..., help="The report's id."), org: str = ORG_OPTION, as_json: bool = JSON_OPTION
) -> None:
    """Submit a draft now; if an attempt fails it is retried with back-off by the running server."""
    with handle_errors(as_json=as_json):
        _one("submit", report_id, org, as_json)


@report_app.command("status")
def status(
    report_id: int = typer.Argument(..., help="The report's id."), org: str = ORG_OPTION, as_json: bool = JSON_OPTION
) -> None:
    """A report's state: status, CyberTipline id, attempts, last error, next attempt."""
    with handle_errors(as_json=as_json):
        _one("status", report_id, org, as_json)


@report_app.command("retract")
def retract(
    report_id: int = typer.Argument(..., help="The report's id."), org: str = ORG_OPTION, as_json: bool = JSON_OPTION
) -> None:
    """Withdraw a report that is not finished (retracting it at NCMEC if it is open there)."""
    with handle_errors(as_json=as_json):
        _one("retract", report_id, org, as_json)


@report_app.command("validate")
def validate(
    report_id: int = typer.Argument(..., help="The report's id."), org: str = ORG_OPTION, as_json: bool = JSON_OPTION
) -> None:
    """Check a report against the CyberTipline schema; exit 1 and list the problems if it does not match."""
    with handle_errors(as_json=as_json):
        from sharedhash.server.reports import service

        db, _ = _open()
        try:
            found = service.validate(db, _caller(db, org), report_id)
        finally:
            db.dispose()
        if as_json:
            emit_json({"valid": not found, "problems": found})
        elif found:
            for problem in found:
                console.print(problem, highlight=False)
        else:
            console.print(f"report {report_id} matches the CyberTipline schema", highlight=False)
        if found:
            raise typer.Exit(1)


@report_app.command("list")
def list_reports(
    org: str = ORG_OPTION,
    status_: str | None = typer.Option(None, "--status", help="Only reports in this state."),
    limit: int = typer.Option(100, "--limit", min=1, max=500, help="At most this many (newest first)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """The org's reports, newest first."""
    with handle_errors(as_json=as_json):
        from sharedhash.errors import InvalidInputError
        from sharedhash.server.reports import service
        from sharedhash.store.models import ReportStatus

        try:
            wanted = ReportStatus(status_) if status_ else None
        except ValueError:
            raise InvalidInputError(f"unknown status {status_!r}", hint=", ".join(ReportStatus)) from None
        db, settings = _open()
        try:
            rows = service.listing(db, settings, _caller(db, org), status=wanted, limit=limit)
        finally:
            db.dispose()
        if as_json:
            emit_json(_jsonable(rows))
        else:
            for row in rows:
                _show(row, False)


@report_app.command("export")
def export(
    report_id: int = typer.Argument(..., help="The report's id."),
    org: str = ORG_OPTION,
    output: Path = _OUTPUT,
    as_json: bool = JSON_OPTION,
) -> None:
    """Write a report as a ZIP (report.xml, each file's details, manifest.json with hashes) for manual filing."""
    with handle_errors(as_json=as_json):
        from sharedhash.errors import FileAccessError
        from sharedhash.server.reports import service

        db, settings = _open()
        try:
            data = service.export_zip(db, settings, _caller(db, org), report_id)
        finally:
            db.dispose()
        try:
            output.write_bytes(data)
        except OSError as exc:
            raise FileAccessError(f"cannot write {output}: {exc.strerror}") from None
        if as_json:
            emit_json({"report": report_id, "output": str(output), "bytes": len(data)})
        else:
            console.print(f"wrote {output} ({len(data):,} bytes)", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``report``."""
    app.add_typer(report_app, name="report")
