"""Create forms posted twice (a double-click, a resend from the back button).

Each create form carries a one-time token (projects.forms.OneTimeSubmission). A post whose
token was used already is answered with a redirect to what the first post created and a
message, never with a second record: looked up here before the form is validated (the
form would otherwise refuse the repeat as a clash of stage or code), and by the service
inside its transaction for two posts at the same instant (AlreadySubmitted).
"""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from projects import services
from projects.forms import OneTimeSubmission
from projects.models import Milestone, Receipt, Submission

Kind = Submission.Kind


def repeated(request, form: OneTimeSubmission, kind: str) -> HttpResponseRedirect | None:
    """The answer to a create form posted with a token used before; None otherwise."""
    if request.method != "POST" or "submission" not in form.fields:
        return None
    first = services.submitted_before(form.submission_token, kind)
    return None if first is None else first_result(request, first)


def first_result(request, submission: Submission) -> HttpResponseRedirect:
    """Redirect to what `submission` created, saying the repeat was not saved."""
    messages.info(request, _("这份表单已经提交过（可能是重复点击），没有重复保存。"))
    return HttpResponseRedirect(_target(submission))


def _target(submission: Submission) -> str:
    kind, pk = submission.kind, submission.object_id
    if kind == Kind.PROJECT:
        return reverse("projects:detail", args=[pk])
    if kind == Kind.LEAD:
        return reverse("projects:my_leads")
    if kind == Kind.VISIT:
        return reverse("projects:visit_list")
    model = Milestone if kind == Kind.MILESTONE else Receipt
    project_id = model.objects.filter(pk=pk).values_list("project_id", flat=True).first()
    if project_id is None:  # deleted since
        return reverse("projects:list")
    return reverse("projects:detail", args=[project_id])
