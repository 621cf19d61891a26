"""The evidence policy: which records the office verifies only against a document.

Per kind of record (签订意向, 正式签约, 资金到账, 开工建设, 客商接待) the office decides
whether evidence is required and which document it is (EvidencePolicy rows, edited on the
office's page and in the admin). A kind without a row follows DEFAULTS. A lead (信息线索)
has nothing to prove yet and never needs evidence.

Where the policy applies:
- the entry forms ask for a file when the policy requires one (projects.forms);
- verifying a record that lacks the required evidence needs a reason, kept on the record
  (`verified_without_evidence_reason`) and so in its history (projects.services.verify);
  the bulk verify refuses such records;
- the record pages and the verification queue show "缺少佐证：合同" before the office verifies.

The rows are read by every entry form, so they are kept on the shared cache
(web.shared_values); projects.services forgets them after any change commits.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from projects.models import EvidenceKind, EvidencePolicy, Milestone, Receipt, Stage, Visit
from web.shared_values import forget_on_commit, shared_value


@dataclass(frozen=True)
class Policy:
    kind: str
    required: bool
    document: str


DEFAULTS: dict[str, Policy] = {
    EvidenceKind.INTENT: Policy(EvidenceKind.INTENT, False, "意向书"),
    EvidenceKind.SIGNED: Policy(EvidenceKind.SIGNED, True, "合同"),
    EvidenceKind.FUNDED: Policy(EvidenceKind.FUNDED, True, "到账凭证"),
    EvidenceKind.GROUNDBREAKING: Policy(EvidenceKind.GROUNDBREAKING, True, "开工照片"),
    EvidenceKind.VISIT: Policy(EvidenceKind.VISIT, False, "接待单或照片"),
}

MILESTONE_KINDS = {
    Stage.INTENT: EvidenceKind.INTENT,
    Stage.SIGNED: EvidenceKind.SIGNED,
    Stage.GROUNDBREAKING: EvidenceKind.GROUNDBREAKING,
}

Policies = dict[str, Policy]


ROWS_KEY = "evidence_policies"
# A change that forgets nothing (a fix in SQL) applies within a minute.
ROWS_SECONDS = 60


def current_policies() -> Policies:
    """Every kind's policy: the office's rows over DEFAULTS (kept on the shared cache,
    else one query)."""
    policies = dict(DEFAULTS)
    for kind, required, document in shared_value(ROWS_KEY, _stored_rows, seconds=ROWS_SECONDS):
        policies[kind] = Policy(kind, required, document)
    return policies


def forget_policies() -> None:
    """Have current_policies read the rows afresh once the change being made commits."""
    forget_on_commit(ROWS_KEY)


def _stored_rows() -> tuple[tuple[str, bool, str], ...]:
    """The office's rows as plain (kind, required, document) tuples, as cached."""
    return tuple(EvidencePolicy.objects.values_list("kind", "required", "document"))


def kind_of(record) -> str | None:
    """The policy kind of a milestone, receipt or visit (None: a lead, never required)."""
    if isinstance(record, Receipt):
        return EvidenceKind.FUNDED
    if isinstance(record, Visit):
        return EvidenceKind.VISIT
    if isinstance(record, Milestone):
        return MILESTONE_KINDS.get(record.stage)
    raise TypeError(f"no evidence policy for {type(record).__name__}")


def milestone_kind(stage) -> str | None:
    return MILESTONE_KINDS.get(stage)


def requires_evidence(kind: str | None, policies: Policies) -> bool:
    """Whether the policy asks for evidence for `kind` (a lead's None: never)."""
    return kind is not None and policies[kind].required


def missing_document(record, policies: Policies) -> str:
    """The document the policy requires and `record` lacks ("合同"), or "" when none."""
    kind = kind_of(record)
    if record.evidence or not requires_evidence(kind, policies):
        return ""
    return policies[kind].document or str(_("佐证材料"))


def annotate_missing(records, policies: Policies) -> None:
    """Set `missing_evidence` (missing_document) on each record, for tables and pages."""
    for record in records:
        record.missing_evidence = missing_document(record, policies)
