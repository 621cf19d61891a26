"""The stage order holds for records saved together, not only for each against the stored.

Each record's form checks it against the records stored when the form was shown (the
models' clean()). Two rows of the admin's inline, or two users saving at once, would each
pass that check while going backwards between themselves; the services check the order
again under the project's lock (projects.progress.refresh_progress's check_order), and the
admin's inline checks its rows together before anything is saved.
"""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.conftest import make_milestone, make_project
from tests.test_admin import _project_form

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _days_ago(n):
    return timezone.localdate() - timedelta(days=n)


def _row(stage, days_ago):
    return {"stage": stage, "occurred_on": _days_ago(days_ago).isoformat(), "status": "pending"}


def _history_counts():
    from projects.models import Milestone, Receipt

    return Milestone.history.count(), Receipt.history.count()


def test_two_inline_rows_going_backwards_are_refused_next_to_the_inline(admin_client, commerce):
    from projects.models import Stage

    project = make_project(commerce)
    url = reverse("admin:projects_project_change", args=[project.pk])
    # Intent three days ago, signing five days ago: signing before intent.
    rows = {"milestones": [_row(Stage.SIGNED, 5), _row(Stage.INTENT, 3)]}

    response = admin_client.post(url, _project_form(project, **rows))

    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert "正式签约日期" in str(errors) and "不能早于" in str(errors), errors
    assert not project.milestones.exists()
    assert _history_counts() == (0, 0)

    rows = {"milestones": [_row(Stage.SIGNED, 3), _row(Stage.INTENT, 5)]}
    response = admin_client.post(url, _project_form(project, **rows))
    assert response.status_code == 302
    assert sorted(project.milestones.values_list("stage", flat=True)) == [
        Stage.INTENT,
        Stage.SIGNED,
    ]


def test_rows_deleted_with_the_saved_ones_are_left_out_of_the_check(admin_client, commerce):
    """The first tranche deleted and a later one added: funds are then first received
    after the groundbreaking, though each row alone passes its own check."""
    from projects import services
    from projects.models import Receipt, Stage

    project = make_project(commerce)
    make_milestone(project, Stage.GROUNDBREAKING, _days_ago(4), status="pending")
    first, second = (
        services.save_record_as_office(
            Receipt(project=project, occurred_on=_days_ago(n), amount=100), by=None
        )
        for n in (6, 2)
    )
    url = reverse("admin:projects_project_change", args=[project.pk])
    data = _project_form(project)
    data.update({"receipts-TOTAL_FORMS": "3", "receipts-INITIAL_FORMS": "2"})
    for i, receipt in enumerate((first, second)):
        data.update(
            {
                f"receipts-{i}-id": str(receipt.pk),
                f"receipts-{i}-project": str(project.pk),
                f"receipts-{i}-occurred_on": receipt.occurred_on.isoformat(),
                f"receipts-{i}-amount": "100",
                f"receipts-{i}-status": "pending",
                f"receipts-{i}-return_reason": "",
            }
        )
    data["receipts-0-DELETE"] = "on"
    data.update(
        {
            "receipts-2-occurred_on": _days_ago(1).isoformat(),
            "receipts-2-amount": "50",
            "receipts-2-status": "pending",
        }
    )

    response = admin_client.post(url, data)
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][1].formset.non_form_errors()
    assert "开工建设日期" in str(errors) and "资金到账日期" in str(errors), errors
    assert set(project.receipts.values_list("pk", flat=True)) == {first.pk, second.pk}


def test_a_milestone_and_a_receipt_going_backwards_together_save_nothing(admin_client, commerce):
    """Each inline checks its own rows; a milestone row and a receipt row are in two
    inlines, so the service's check under the lock is what refuses them: a message on the
    page, nothing saved (the admin's view is one transaction), never a 500."""
    from projects.models import Stage

    project = make_project(commerce)
    url = reverse("admin:projects_project_change", args=[project.pk])
    rows = {
        "milestones": [_row(Stage.SIGNED, 3)],
        "receipts": [
            {"occurred_on": _days_ago(5).isoformat(), "amount": "100", "status": "pending"}
        ],
    }

    response = admin_client.post(url, _project_form(project, **rows), follow=True)

    assert response.redirect_chain == [(url, 302)]
    shown = [str(m) for m in response.context["messages"]]
    assert any("未保存" in m and "不能早于正式签约日期" in m for m in shown), shown
    assert not project.milestones.exists() and not project.receipts.exists()
    assert _history_counts() == (0, 0)
    project.refresh_from_db()
    assert project.stage_reached is None


def test_two_users_saving_at_once_cannot_make_the_stages_go_backwards(liaison, commerce):
    """Both forms are checked against the same stored records (neither sees the other's);
    the second save finds the first under the project's lock and is refused on its date."""
    import pytest
    from django.core.exceptions import ValidationError

    from projects import services
    from projects.forms import MilestoneForm
    from projects.models import Milestone, Stage

    project = make_project(commerce)

    def shown_form(stage, days_ago):
        form = MilestoneForm(
            {"stage": stage, "occurred_on": _days_ago(days_ago).isoformat()},
            {"evidence": SimpleUploadedFile("合同.pdf", PDF, "application/pdf")},
            instance=Milestone(project=project),
        )
        assert form.is_valid(), form.errors
        return form

    first, second = shown_form(Stage.INTENT, 3), shown_form(Stage.SIGNED, 5)
    services.save_record(first.save(commit=False), by=liaison, original_status=None)
    with pytest.raises(ValidationError) as refused:
        services.save_record(second.save(commit=False), by=liaison, original_status=None)

    assert "不能早于" in refused.value.message_dict["occurred_on"][0]
    assert list(project.milestones.values_list("stage", flat=True)) == [Stage.INTENT]
    assert _history_counts() == (1, 0)
    project.refresh_from_db()
    assert project.stage_reached == Stage.INTENT


def test_the_page_shows_the_refusal_next_to_the_date(client, liaison, commerce, monkeypatch):
    """The liaison's form when another user's record arrives between its check and its
    save (that record saved just before this one's service runs): the message is next to
    the date, and nothing of this form is saved."""
    from projects import services
    from projects.models import Milestone, Stage

    project = make_project(commerce)
    client.force_login(liaison)
    save_record = services.save_record

    def someone_saves_first(record, **kwargs):
        other = Milestone(project=project, stage=Stage.INTENT, occurred_on=_days_ago(3))
        save_record(other, by=liaison, original_status=None)
        return save_record(record, **kwargs)

    monkeypatch.setattr(services, "save_record", someone_saves_first)
    response = client.post(
        reverse("projects:milestone_create", args=[project.pk]),
        {
            "stage": Stage.SIGNED,
            "occurred_on": _days_ago(5).isoformat(),
            "evidence": SimpleUploadedFile("合同.pdf", PDF, "application/pdf"),
        },
    )

    assert response.status_code == 200
    assert "不能早于签订意向日期" in response.context["form"].errors["occurred_on"][0]
    assert list(project.milestones.values_list("stage", flat=True)) == [Stage.INTENT]
