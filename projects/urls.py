from django.urls import path, re_path

from projects.views import (
    duplicates,
    evidence,
    leads,
    policy,
    projects,
    records,
    verification,
    visits,
)

app_name = "projects"

KIND = r"(?P<kind>milestone|receipt|visit)"

urlpatterns = [
    # Projects
    path("", projects.project_list, name="list"),
    path("new/", projects.project_create, name="create"),
    path("<int:pk>/", projects.project_detail, name="detail"),
    path("<int:pk>/edit/", projects.project_edit, name="edit"),
    path("<int:pk>/lost/", projects.project_lost, name="lost"),
    path("<int:pk>/credit/", duplicates.credit_decide, name="credit"),
    # Possible duplicates (疑似重复) and credit decisions
    path("duplicates/", duplicates.duplicate_list, name="duplicates"),
    # Milestones and receipts
    path("<int:pk>/milestones/new/", records.milestone_create, name="milestone_create"),
    path("<int:pk>/receipts/new/", records.receipt_create, name="receipt_create"),
    path("milestones/<int:pk>/edit/", records.milestone_edit, name="milestone_edit"),
    path("receipts/<int:pk>/edit/", records.receipt_edit, name="receipt_edit"),
    re_path(
        rf"^records/{KIND}/(?P<pk>[0-9]+)/resubmit/$", records.record_resubmit, name="resubmit"
    ),
    re_path(rf"^records/{KIND}/(?P<pk>[0-9]+)/evidence/$", evidence.evidence, name="evidence"),
    path("returned/", records.returned_list, name="returned"),
    # Verification (office)
    path("verification/", verification.queue, name="queue"),
    path("verification/bulk/", verification.queue_bulk, name="queue_bulk"),
    re_path(
        rf"^verification/{KIND}/(?P<pk>[0-9]+)/verify/$", verification.record_verify, name="verify"
    ),
    re_path(
        rf"^verification/{KIND}/(?P<pk>[0-9]+)/return/$", verification.record_return, name="return"
    ),
    # Visits
    path("visits/", visits.visit_list, name="visit_list"),
    path("visits/new/", visits.visit_create, name="visit_create"),
    path("visits/<int:pk>/", visits.visit_detail, name="visit_detail"),
    path("visits/<int:pk>/edit/", visits.visit_edit, name="visit_edit"),
    # The evidence policy (office)
    path("evidence-policy/", policy.evidence_policy, name="evidence_policy"),
    # Leads
    path("leads/", leads.lead_list, name="lead_list"),
    path("leads/new/", leads.lead_create, name="lead_create"),
    path("leads/mine/", leads.my_leads, name="my_leads"),
]
