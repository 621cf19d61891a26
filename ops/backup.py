"""A portable backup: every app's data (dumpdata) and every media file in one .tar.gz.

For moving a whole installation between databases (SQLite ⇄ PostgreSQL) or keeping a
copy that any installation of the same version can read. Production keeps pg_dump
backups too (README, "Backups"): they are faster and keep the database exactly.

The archive holds:

    manifest.json   what it is: format, when, the applied migrations, files and checksums
    data.json       manage.py dumpdata of all apps, natural foreign keys (content types and
                    permissions are made by migrate, sessions are not kept)
    media/<name>    every file of the default storage (evidence, report PDFs)

`restore_backup` loads it into an empty database (migrated, nothing entered yet), puts
the files back under their names, and recomputes the league snapshots.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.contrib.auth import get_user_model
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.test.utils import override_settings
from django.utils import timezone

FORMAT = "bairi-backup-1"
# Rebuilt by migrate (content types, permissions) or worthless in a copy (sessions).
EXCLUDED = ["contenttypes", "auth.permission", "sessions.session"]


class BackupError(Exception):
    """The archive cannot be restored here; the message says why."""


@dataclass
class BackupReport:
    path: Path
    objects: int = 0
    files: list[str] = field(default_factory=list)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _media_files(storage=default_storage, directory: str = "") -> list[str]:
    """Every file name in `storage`, recursively, sorted."""
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:
        return []
    names = [f"{directory}/{f}" if directory else f for f in files]
    for sub in directories:
        names += _media_files(storage, f"{directory}/{sub}" if directory else sub)
    return sorted(names)


def _applied_migrations() -> dict[str, str]:
    """The latest applied migration of each app."""
    latest: dict[str, str] = {}
    for app, name in MigrationRecorder(connection).applied_migrations():
        if name > latest.get(app, ""):
            latest[app] = name
    return dict(sorted(latest.items()))


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(timezone.now().timestamp())
    info.mode = 0o600
    archive.addfile(info, io.BytesIO(data))


def create_backup(path: str | Path) -> BackupReport:
    """Write the whole installation (data and media files) to `path` (.tar.gz)."""
    path = Path(path)
    report = BackupReport(path=path)
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "data.json"
        call_command(
            "dumpdata",
            exclude=EXCLUDED,
            natural_foreign=True,
            indent=None,
            output=str(dump),
            verbosity=0,
        )
        data = dump.read_bytes()
    report.objects = len(json.loads(data))
    files = {}
    with tarfile.open(path, "w:gz") as archive:
        _add(archive, "data.json", data)
        for name in _media_files():
            with default_storage.open(name, "rb") as handle:
                content = handle.read()
            _add(archive, f"media/{name}", content)
            files[name] = _sha256(content)
            report.files.append(name)
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(),
            "database": connection.vendor,
            "migrations": _applied_migrations(),
            "objects": report.objects,
            "data_sha256": _sha256(data),
            "files": files,
        }
        _add(archive, "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1).encode())
    return report


def _safe_member(name: str) -> bool:
    """Only plain relative names: nothing absolute, nothing climbing out with "..".

    Files are written through the storage API, never extracted to the file system, so a
    hostile archive cannot place a file anywhere else either way.
    """
    parts = PurePosixPath(name).parts
    return bool(parts) and not name.startswith("/") and ".." not in parts and "\\" not in name


def _file_sha256(archive: tarfile.TarFile, name: str) -> str:
    try:
        member = archive.getmember(name)
    except KeyError:
        raise BackupError(f"{name} is missing") from None
    if not member.isfile():
        raise BackupError(f"{name} is not a regular file")
    digest = hashlib.sha256()
    handle = archive.extractfile(member)
    for chunk in iter(lambda: handle.read(1024 * 1024), b""):
        digest.update(chunk)
    return digest.hexdigest()


def _read(archive: tarfile.TarFile, name: str) -> bytes:
    member = archive.getmember(name)
    if not member.isfile():
        raise BackupError(f"{name} is not a regular file")
    return archive.extractfile(member).read()


def database_is_empty() -> bool:
    """Nothing entered yet: no login, no department (a migrated, unused database)."""
    from departments.models import Department

    return not get_user_model().objects.exists() and not Department.objects.exists()


def restore_backup(path: str | Path) -> BackupReport:
    """Load the archive at `path` into this (empty, migrated) database and storage.

    Refuses (BackupError) an archive of another format, with wrong checksums, made with
    migrations this installation does not have, or a database that already holds data.
    """
    path = Path(path)
    report = BackupReport(path=path)
    try:
        archive = tarfile.open(path, "r:gz")
    except (tarfile.TarError, OSError) as e:
        raise BackupError(f"not a backup archive: {e}") from None
    with archive:
        try:
            manifest = json.loads(_read(archive, "manifest.json"))
            data = _read(archive, "data.json")
        except (KeyError, ValueError) as e:
            raise BackupError(f"incomplete archive: {e}") from None
        if manifest.get("format") != FORMAT:
            raise BackupError(f"unknown format {manifest.get('format')!r}")
        if _sha256(data) != manifest.get("data_sha256"):
            raise BackupError("data.json does not match its checksum")
        applied = _applied_migrations()
        missing = {
            app: name for app, name in manifest["migrations"].items() if applied.get(app, "") < name
        }
        if missing:
            raise BackupError(f"run migrate first; this installation lacks {missing}")
        files = manifest.get("files", {})
        for name in files:
            if not _safe_member(name):
                raise BackupError(f"refusing file name {name!r}")
        for name, digest in files.items():  # every file checked before anything is written
            if _file_sha256(archive, f"media/{name}") != digest:
                raise BackupError(f"media/{name} does not match its checksum")
        if not database_is_empty():
            raise BackupError("the database is not empty: restore only into a new database")

        with transaction.atomic():
            # Migrations seed some rows (celery beat schedules) that the dump also holds.
            call_command("flush", interactive=False, verbosity=0)
            with tempfile.TemporaryDirectory() as tmp:
                fixture = Path(tmp) / "data.json"
                fixture.write_bytes(data)
                # The dump holds every history row already: loading must not add any.
                # simple_history records m2m changes even for raw loads (a person's
                # departments), and would take ids the dump's own rows are about to use.
                with override_settings(SIMPLE_HISTORY_ENABLED=False):
                    call_command("loaddata", str(fixture), verbosity=0)
                # Derived columns: loaddata saves raw (no receivers), and a backup taken
                # before they existed has none.
                from projects.progress import refresh_all_progress

                refresh_all_progress()
        report.objects = len(json.loads(data))

        for name in files:
            content = _read(archive, f"media/{name}")
            if default_storage.exists(name):
                default_storage.delete(name)
            stored = default_storage.save(name, File(io.BytesIO(content), name=name))
            if stored != name:
                raise BackupError(f"media/{name} was stored as {stored}")
            report.files.append(name)
    recompute_all_snapshots()
    return report


def recompute_all_snapshots() -> int:
    """Recompute every stored snapshot date of every competition, and today's."""
    from competition.league.snapshots import recompute_dates
    from competition.models import Competition, Snapshot

    today = timezone.localdate()
    done = 0
    for competition in Competition.objects.all():
        days = set(Snapshot.objects.filter(competition=competition).values_list("as_of", flat=True))
        if competition.start_date <= today:
            days.add(today)
        if days:  # every date from one pass over the records
            done += len(recompute_dates(competition, dates=days))
    Competition.objects.update(stale_from=None, stale_since=None)
    return done
