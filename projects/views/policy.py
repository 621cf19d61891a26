"""The evidence policy page: the office decides, per kind of record, whether verifying it
needs evidence and which document (projects.policy)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from departments.roles import Role
from projects import services
from projects.forms import EvidencePolicyFormSet
from projects.models import EvidencePolicy
from web.access import require


@require(Role.OFFICE)
def evidence_policy(request):
    rows = services.policy_rows()
    queryset = EvidencePolicy.objects.filter(pk__in=[r.pk for r in rows]).order_by("id")
    formset = EvidencePolicyFormSet(request.POST or None, queryset=queryset)
    if request.method == "POST" and formset.is_valid():
        changed = [form.instance for form in formset.forms if form.has_changed()]
        for form in formset.forms:
            if form.has_changed():
                form.save(commit=False)
        services.save_policies(changed, by=request.user)
        messages.success(request, _("佐证要求已保存。"))
        return redirect("projects:evidence_policy")
    history = EvidencePolicy.history.select_related("history_user__person").order_by(
        "-history_date", "-history_id"
    )[:20]
    return render(
        request, "projects/evidence_policy.html", {"formset": formset, "history": history}
    )
