"""黄牌记录 and 整改 pages: the card list, one card, the 整改 form, the office's queue.

Who may do what (competition.cards): the office sees every card, accepts and returns
整改; leaders read every card; a liaison sees its own departments' cards and submits
their 整改. Cards outside the user's departments answer 404.
"""

from pathlib import PurePath

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from competition import cards as card_rules
from competition.filters import CardFilter
from competition.forms import RectificationForm, RectificationReturnForm
from competition.models import Rectification
from competition.tables import CardTable, RectificationQueueTable
from departments.roles import Role, roles_of
from projects.evidence import stored_type
from projects.tables import person_name
from web.access import require
from web.downloads import filename
from web.ratelimit import rate_limited
from web.tables import configure

CARD_RELATED = ("department", "issued_report", "lifted_report", "rectification")


@require(Role.LIAISON_LEADER_OR_OFFICE)
def card_list(request):
    """Every card the user may see, filtered; newest first.

    Queries, whatever the number of cards: session, user, roles (2), the filter's
    department choices and competition choices, the count, the page's cards with their
    department, bulletins and 整改 (session save aside).
    """
    roles = roles_of(request.user)
    queryset = card_rules.cards_for(roles).select_related(*CARD_RELATED)
    card_filter = CardFilter(request.GET or None, queryset=queryset, request=request)
    table = CardTable(card_filter.qs, today=timezone.localdate())
    configure(request, table)
    return render(
        request,
        "competition/cards/card_list.html",
        {"filter": card_filter, "table": table, "may_review": roles.is_office},
    )


@require(Role.LIAISON_LEADER_OR_OFFICE)
def card_detail(request, pk):
    """One card: its bulletins, scores, 连续N期, and its 整改 with what the user may do."""
    card, can_write = card_rules.get_card_for_user(request, pk)
    roles = roles_of(request.user)
    today = timezone.localdate()
    rect = card.rectification if card_rules.has_rectification(card) else None
    rows = rect.history.select_related("history_user__person") if rect else []
    history = [
        {"row": h, "who": person_name(h.history_user) or "—"}
        for h in (rows.order_by("-history_date", "-pk") if rect else [])
    ]
    state = card_rules.rectification_state(card, today=today)
    return render(
        request,
        "competition/cards/card_detail.html",
        {
            "card": card,
            "rect": rect,
            "history": history,
            "state": state,
            "state_label": card_rules.state_label(state),
            "may_submit": can_write and card_rules.may_submit(card),
            "may_review": roles.is_office and rect is not None and rect.status == "submitted",
            "return_form": RectificationReturnForm(),
        },
    )


@require(Role.LIAISON_OR_OFFICE)
@rate_limited("upload")
def rectification_submit(request, pk):
    """The 整改 form of a card: the first report, or a returned one corrected."""
    card, can_write = card_rules.get_card_for_user(request, pk)
    if not can_write:
        raise PermissionDenied
    rect = card.rectification if card_rules.has_rectification(card) else None
    initial = {"measures": rect.measures} if rect else None
    form = RectificationForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            card_rules.submit_rectification(
                card,
                measures=form.cleaned_data["measures"],
                attachment=form.cleaned_data.get("attachment"),
                by=request.user,
            )
        except card_rules.RectificationError as e:
            messages.warning(request, str(e))
        else:
            messages.success(request, _("整改措施已提交，等待竞赛办审核。"))
        return redirect("card_detail", pk=card.pk)
    return render(
        request,
        "competition/cards/rectification_form.html",
        {"card": card, "rect": rect, "form": form, "may_submit": card_rules.may_submit(card)},
    )


@require(Role.LIAISON_LEADER_OR_OFFICE)
def rectification_attachment(request, pk):
    """The 整改 report's attachment, for those who may see the card (never MEDIA_URL)."""
    card, _can_write = card_rules.get_card_for_user(request, pk)
    rect = card.rectification if card_rules.has_rectification(card) else None
    if rect is None or not rect.attachment:
        raise Http404
    try:
        kind = stored_type(rect.attachment)
        handle = rect.attachment.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    name = filename(
        f"{card.department.name}-整改-{card.issued_on.isoformat()}{PurePath(rect.attachment.name).suffix}"
    )
    if kind is None:
        response = FileResponse(
            handle, as_attachment=True, filename=name, content_type="application/octet-stream"
        )
    else:
        response = FileResponse(handle, filename=name, content_type=kind.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require(Role.OFFICE)
def rectification_queue(request):
    """Submitted 整改 waiting for the office, oldest first.

    Queries, whatever the number of reports: session, user, roles (2), the count, the
    page's reports with their card and department (session save aside).
    """
    queryset = Rectification.objects.filter(status=Rectification.Status.SUBMITTED).select_related(
        "card__department"
    )
    table = RectificationQueueTable(queryset)
    configure(request, table)
    return render(request, "competition/cards/queue.html", {"table": table})


@require(Role.OFFICE)
@require_POST
def rectification_accept(request, pk):
    card, _can_write = card_rules.get_card_for_user(request, pk)
    try:
        card_rules.accept_rectification(card, by=request.user)
    except card_rules.RectificationError as e:
        messages.warning(request, str(e))
    else:
        messages.success(request, _("整改措施已通过。"))
    return redirect("rectification_queue")


@require(Role.OFFICE)
def rectification_return(request, pk):
    card, _can_write = card_rules.get_card_for_user(request, pk)
    form = RectificationReturnForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            card_rules.return_rectification(
                card, by=request.user, reason=form.cleaned_data["reason"]
            )
        except card_rules.RectificationError as e:
            messages.warning(request, str(e))
        else:
            messages.success(request, _("整改措施已退回。"))
        return redirect("rectification_queue")
    rect = card.rectification if card_rules.has_rectification(card) else None
    return render(
        request,
        "competition/cards/return_form.html",
        {"card": card, "rect": rect, "form": form},
    )
