"""English is available: chosen through set_language, the pages speak it."""

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from competition.models import Competition

EN_CATALOGUE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django"


@pytest.fixture(scope="module", autouse=True)
def _compiled_catalogue():
    """The .mo files are build output; compile them here if the test script did not."""
    po, mo = EN_CATALOGUE.with_suffix(".po"), EN_CATALOGUE.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        call_command(
            "compilemessages", locale=["en"], ignore_patterns=[".venv", "var"], verbosity=0
        )
        # Catalogues are cached per process: drop them so the fresh .mo is read.
        from django.utils.translation import reloader

        reloader.translation_file_changed(sender=None, file_path=mo)


@pytest.fixture(autouse=True)
def _back_to_the_default_language():
    """LocaleMiddleware leaves the last request's language active in the thread: undo it,
    or every later test that checks a Chinese message outside a request sees English."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


def _choose_english(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


@pytest.mark.django_db
def test_login_page_in_english(client):
    _choose_english(client)
    page = client.get(reverse("login")).content.decode()
    assert '<html lang="en">' in page
    assert "100-Day Investment Attraction Competition" in page
    assert "Username" in page and "Password" in page and "Log in" in page
    assert "用户名" not in page


@pytest.mark.django_db
def test_login_error_in_english(client, liaison):
    _choose_english(client)
    response = client.post(reverse("login"), {"username": liaison.username, "password": "wrong"})
    assert "Please enter a correct username and password" in response.content.decode()


@pytest.mark.django_db
def test_leader_home_in_english(client, leader, commerce, time_machine):
    time_machine.move_to(datetime(2026, 4, 30, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False)
    competition = Competition.objects.create(
        name="百日竞赛", start_date=date(2026, 3, 1), end_date=date(2026, 6, 8)
    )
    competition.quotas.create(department=commerce, signed_projects=1)
    client.force_login(leader)
    _choose_english(client)
    page = client.get(reverse("home")).content.decode()
    assert "Competition overview" in page
    assert "As of 30 April, 百日竞赛 is on day 61 of 100." in page
    assert "No results: 1 department" in page
    assert "Log out" in page and "Home" in page


@pytest.mark.django_db
def test_liaison_home_in_english(client, liaison):
    client.force_login(liaison)
    _choose_english(client)
    page = client.get(reverse("home")).content.decode()
    assert "My departments" in page and "Record a visit" in page and "Report a milestone" in page
    assert "我的部门" not in page


@pytest.mark.django_db
def test_chinese_is_the_default(client):
    page = client.get(reverse("login")).content.decode()
    assert '<html lang="zh-hans">' in page
    assert "用户名" in page


@pytest.mark.django_db
def test_language_switcher_names_each_language_in_itself(client):
    for chosen in ("zh-hans", "en"):
        client.post(reverse("set_language"), {"language": chosen, "next": "/"})
        page = client.get(reverse("login")).content.decode()
        assert ">简体中文</button>" in page and ">English</button>" in page


def test_one_spelling_of_funds_received():
    """到账 everywhere people read it (issue 18); 到帐 only where the speech is quoted (the
    README's opening and the demo's comment), never in a page, a message or a PDF."""
    root = Path(settings.BASE_DIR)
    sources = [*root.glob("templates/**/*.html"), *root.glob("locale/*/LC_MESSAGES/django.po")]
    sources += [
        p
        for app in ("competition", "projects", "departments", "web", "accounts")
        for p in root.glob(f"{app}/**/*.py")
    ]
    assert sources
    assert [str(p.relative_to(root)) for p in sources if "到帐" in p.read_text()] == []
