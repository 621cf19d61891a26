"""Backups: `manage.py backup FILE` and `restore FILE` give back the same installation:
the same league, the same logins, the same history, the same evidence files."""

import io
import json
import tarfile
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from accounts.models import SecurityEvent
from competition.league.snapshots import recompute_snapshots
from competition.models import Competition, MetricWeight, Quota, Snapshot
from competition.scoring import compute_league
from departments.models import Department
from ops.backup import BackupError, create_backup, restore_backup
from projects.models import Milestone, Project, Receipt, Stage, Visit
from tests.conftest import make_milestone, make_person, make_project, make_receipt, make_visit

# The restore flushes the database: a transactional test, with the data migrations made
# (the beat schedules) put back for the tests after it.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

AS_OF = date(2026, 6, 30)
PDF = b"%PDF-1.7\n%%EOF\n"


@pytest.fixture(autouse=True)
def _today(settings, time_machine):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    time_machine.move_to(datetime(2026, 6, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)


@pytest.fixture
def installation(commerce, finance, liaison, office):
    """Two departments in a competition with every kind of record and an evidence file."""
    comp = Competition.objects.create(
        name="百日竞赛", start_date=date(2026, 5, 1), end_date=date(2026, 8, 8)
    )
    for dept, signed in ((commerce, 2), (finance, 1)):
        Quota.objects.create(
            competition=comp,
            department=dept,
            visit_batches=4,
            intent_projects=2,
            signed_projects=signed,
            funded_projects=1,
            funds_amount=Decimal("500"),
            groundbreaking_projects=1,
        )
    MetricWeight.objects.create(competition=comp, metric="signed_projects", weight=Decimal(30))
    p1 = make_project(commerce, code="SW-001", planned_investment=Decimal("6000"))
    m = make_milestone(p1, Stage.INTENT, date(2026, 5, 10), evidence="")
    m.evidence.save("意向书.pdf", ContentFile(PDF))
    make_milestone(p1, Stage.SIGNED, date(2026, 6, 1), evidence="")
    make_receipt(p1, date(2026, 6, 10), amount="300.50", evidence="")
    p2 = make_project(finance, code="CZ-001")
    make_milestone(p2, Stage.SIGNED, date(2026, 6, 5), status="pending", evidence="")
    make_milestone(
        make_project(finance, code="CZ-002"), Stage.INTENT, date(2026, 5, 20), evidence=""
    )
    for day in (3, 9, 15):
        make_visit(commerce, date(2026, 6, day), persons=day)
    make_visit(finance, date(2026, 6, 20))
    recompute_snapshots(comp, as_of=date(2026, 6, 15))
    SecurityEvent.objects.create(kind="login", user=liaison, username=liaison.username)
    return comp


def league_rows(competition, as_of=AS_OF):
    league = compute_league(competition, as_of=as_of)
    return [
        (
            r.department_id,
            r.department_name,
            r.group_name,
            r.rank,
            r.group_rank,
            r.actuals,
            r.targets,
            r.ratios,
            r.exact_score,
            r.yellow_card,
            r.zero_result,
        )
        for r in league.rows
    ]


def counts():
    models = [Department, Competition, Quota, MetricWeight, Project, Milestone, Receipt, Visit]
    rows = {m.__name__: m.objects.count() for m in models}
    rows |= {f"history {m.__name__}": m.history.count() for m in models if hasattr(m, "history")}
    rows["users"] = get_user_model().objects.count()
    rows["events"] = SecurityEvent.objects.count()
    return rows


def wipe(settings):
    """A new, migrated, empty installation: database flushed, media directory emptied."""
    import shutil

    call_command("flush", interactive=False, verbosity=0)
    shutil.rmtree(settings.MEDIA_ROOT, ignore_errors=True)


def _stored_progress() -> dict:
    return {p.code: (p.stage_reached, p.last_milestone_on) for p in Project.objects.all()}


def test_a_restored_copy_gives_the_same_league(installation, tmp_path, settings):
    before_league = league_rows(installation)
    before_counts = counts()
    snapshot_dates = set(Snapshot.objects.values_list("as_of", flat=True))
    evidence_name = Milestone.objects.exclude(evidence="").get().evidence.name

    expected_progress = _stored_progress()
    assert any(stage is not None for stage, _ in expected_progress.values())
    # As in a backup taken before the stored progress columns existed.
    Project.objects.update(stage_reached=None, last_milestone_on=None)

    archive = tmp_path / "bairi.tar.gz"
    out = io.StringIO()
    call_command("backup", str(archive), stdout=out)
    assert "1 media files" in out.getvalue()

    wipe(settings)
    assert not Project.objects.exists() and not get_user_model().objects.exists()

    out = io.StringIO()
    call_command("restore", str(archive), stdout=out)
    assert "league snapshots recomputed" in out.getvalue()

    competition = Competition.objects.get(name="百日竞赛")
    assert league_rows(competition) == before_league
    assert counts() == before_counts
    # Each project's stored progress is worked out again from its records.
    assert _stored_progress() == expected_progress
    # The stored snapshots are there again, recomputed, plus today's.
    assert set(Snapshot.objects.values_list("as_of", flat=True)) == {*snapshot_dates, AS_OF}
    assert Competition.objects.get().stale_from is None
    # The evidence file is back under its name, byte for byte.
    milestone = Milestone.objects.exclude(evidence="").get()
    assert milestone.evidence.name == evidence_name
    assert milestone.evidence.read() == PDF
    # Logins work with their old passwords; people keep their roles.
    request = RequestFactory().post("/accounts/login/")
    user = authenticate(request, username="liaison_commerce", password="Pass-word-2026")
    assert user is not None and user.person.liaison_for.get().name == "商务局"
    # New records get fresh ids (sequences follow the loaded rows on PostgreSQL).
    make_project(Department.objects.get(name="商务局"), code="SW-NEW")


def test_restore_refuses_a_database_that_already_holds_data(installation, tmp_path):
    archive = tmp_path / "b.tar.gz"
    create_backup(archive)
    before = counts()
    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(archive))
    assert counts() == before


def test_restore_refuses_a_tampered_or_hostile_archive(installation, tmp_path, settings):
    archive = tmp_path / "b.tar.gz"
    create_backup(archive)
    with tarfile.open(archive) as original:
        members = {m.name: original.extractfile(m).read() for m in original.getmembers()}
    wipe(settings)

    def write(name, entries):
        path = tmp_path / name
        with tarfile.open(path, "w:gz") as out:
            for member_name, data in entries.items():
                info = tarfile.TarInfo(member_name)
                info.size = len(data)
                out.addfile(info, io.BytesIO(data))
        return path

    tampered = dict(members)
    tampered["data.json"] = members["data.json"].replace(b"300.50", b"999.50")
    with pytest.raises(BackupError, match="checksum"):
        restore_backup(write("tampered.tar.gz", tampered))

    manifest = json.loads(members["manifest.json"])
    manifest["files"]["../../etc/cron.d/x"] = manifest["files"].popitem()[1]
    hostile = dict(members, **{"manifest.json": json.dumps(manifest).encode()})
    with pytest.raises(BackupError, match="refusing file name"):
        restore_backup(write("hostile.tar.gz", hostile))

    with pytest.raises(BackupError, match="incomplete archive"):
        restore_backup(write("empty.tar.gz", {}))
    garbage = tmp_path / "garbage.tar.gz"
    garbage.write_bytes(b"not a tar file at all")
    with pytest.raises(BackupError, match="not a backup archive"):
        restore_backup(garbage)
    assert not Project.objects.exists()  # nothing was loaded by any of them


def test_backup_of_an_empty_installation_restores(tmp_path, settings, db):
    archive = tmp_path / "empty.tar.gz"
    assert create_backup(archive).files == []
    call_command("flush", interactive=False, verbosity=0)
    report = restore_backup(archive)
    assert report.files == []
    make_person("first_user", office=True)
