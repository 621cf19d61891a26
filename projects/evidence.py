"""Evidence files (意向书, 合同, 到账凭证, 开工照片): what may be uploaded and how it is served.

Only PDF, JPEG and PNG are accepted, recognised by their first bytes (magic numbers),
not by the name or the browser's Content-Type, which the uploader controls.
"""

from dataclasses import dataclass
from pathlib import PurePath
from uuid import uuid4

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class EvidenceType:
    content_type: str
    extension: str
    label: str


PDF = EvidenceType("application/pdf", ".pdf", "PDF")
PNG = EvidenceType("image/png", ".png", "PNG")
JPEG = EvidenceType("image/jpeg", ".jpg", "JPEG")

# (leading bytes, type); the file must start with these bytes.
SIGNATURES: list[tuple[bytes, EvidenceType]] = [
    (b"%PDF-", PDF),
    (b"\x89PNG", PNG),
    (b"\xff\xd8\xff", JPEG),
]
EXTENSIONS = {".pdf": PDF, ".png": PNG, ".jpg": JPEG, ".jpeg": JPEG}
ACCEPT = "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"
HEAD_BYTES = 16


def sniff(head: bytes) -> EvidenceType | None:
    """The evidence type whose signature `head` starts with, or None."""
    for signature, kind in SIGNATURES:
        if head.startswith(signature):
            return kind
    return None


def _read_head(file) -> bytes:
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    return head


def validate_evidence(upload) -> EvidenceType:
    """Check an uploaded file's size, extension and content; return its type.

    Raises ValidationError with a message the uploader can act on.
    """
    max_bytes = settings.EVIDENCE_MAX_BYTES
    if upload.size == 0:
        raise ValidationError(_("文件是空的。"), code="empty")
    if upload.size > max_bytes:
        raise ValidationError(
            _("文件不能超过%(mb)s MB。") % {"mb": f"{max_bytes / 1024 / 1024:g}"}, code="too_big"
        )
    kind = sniff(_read_head(upload))
    if kind is None:
        raise ValidationError(_("只能上传PDF、JPEG或PNG文件。"), code="type")
    by_name = EXTENSIONS.get(PurePath(upload.name or "").suffix.lower())
    if by_name is not kind:
        raise ValidationError(
            _("文件内容（%(kind)s）与扩展名不符。") % {"kind": kind.label}, code="mismatch"
        )
    return kind


def storage_name(kind: EvidenceType | None) -> str:
    """A random file name: the uploader's name never reaches the file system or a URL."""
    return f"{uuid4().hex}{kind.extension if kind else ''}"


NAME_MAX = 255  # Milestone.evidence_name's length


def original_name(name: str) -> str:
    """The uploader's name for a file as people should read it: its last path part (some
    browsers send a whole path), control characters dropped, at most NAME_MAX characters
    with the extension kept."""
    name = PurePath(name.replace("\\", "/")).name
    name = "".join(c for c in name if c.isprintable()).strip()
    if len(name) > NAME_MAX:
        suffix = PurePath(name).suffix[:10]
        name = name[: NAME_MAX - len(suffix) - 1] + "…" + suffix
    return name


def name_upload(upload) -> str:
    """Give a new upload its random storage name; return its original name (to keep in
    `evidence_name`). The type comes from the extension, which the forms checked against
    the content."""
    shown = original_name(upload.name or "")
    upload.name = storage_name(EXTENSIONS.get(PurePath(shown).suffix.lower()))
    return shown


def stored_type(field_file) -> EvidenceType | None:
    """The type of a stored evidence file, read from its content (None: not one we serve inline)."""
    with field_file.open("rb") as f:
        return sniff(f.read(HEAD_BYTES))
