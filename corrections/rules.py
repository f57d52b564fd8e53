"""The rules of SPEC 5, plugged into the core's validation, posting and dependents checks."""

from django.db.models import F

from invoicing.models import POSTED_STATUSES, Document, Kind, Status


def kind_label(document):
    return Kind(document.kind).label.lower()


def correction_rule_error(document):
    """Checked when a document is saved and when it is posted: the first broken rule's message."""
    if document.is_reversal and (document.kind != Kind.BILL or not document.original_id):
        return "Reversal exists on bill corrections only."
    if not document.original_id:
        return None
    original = document.original
    what = kind_label(original)
    if original.original_id:
        return (
            f"The Original cannot itself be a correction: {original.display_number} corrects "
            f"{original.original.display_number}; choose {original.original.display_number} as the Original."
        )
    if original.status == Status.CANCELED:
        return f"The original {what} {original.display_number} is canceled; a canceled document cannot be corrected."
    if document.kind != original.kind:
        return f"A correction of a {what} must itself be a {what}."
    if document.partner_id != original.partner_id:
        role = "vendor" if original.kind == Kind.BILL else "customer"
        return f"The correction {role} must match the original {what} {role} ({original.partner})."
    if document.company_id != original.company_id:
        return f"The correction company must match the original {what} company ({original.company})."
    if document.currency != original.currency:
        return f"The correction currency must match the original {what} currency ({original.currency})."
    if document.type_id != original.type_id:
        return f"The correction type must match the original {what} type ({original.type})."
    if original.type.is_return:
        return (
            f"{original} is a return: cancel it and record the return again instead of correcting it, so the "
            "returned quantities and the credit it applied stay right."
        )
    return None


def correction_post_refusal(document):
    message = correction_rule_error(document)
    if message or not document.original_id:
        return message
    original = document.original
    if original.status not in POSTED_STATUSES:
        return (
            f"The original {kind_label(original)} {original.display_number} is "
            f"{original.get_status_display()}; post it before its corrections."
        )
    if not document.reason.strip():
        return "State the reason for this correction (Reason, in the header) before posting it."
    return None


def describe(correction):
    if correction.correction_index:
        return f"no. {correction.correction_index} {correction.display_number}"
    return f"a draft dated {correction.date:%Y-%m-%d}"


def corrections_depend_refusal(document, corrections=None):
    """An original with corrections still standing can be neither reset to draft nor canceled.

    `corrections`: its corrections in chain order when the caller has read them already (the card's chain)."""
    if document.original_id or document.pk is None:
        return None
    if corrections is not None:
        standing = [c for c in corrections if c.status != Status.CANCELED]
    else:
        standing = list(
            Document.objects.filter(original_id=document.pk)
            .exclude(status=Status.CANCELED)
            .only("number", "date", "correction_index", "status")
            .order_by(F("correction_index").asc(nulls_last=True), "pk")
        )
    if not standing:
        return None
    names = ", ".join(describe(c) for c in standing)
    return f"It has corrections that are not canceled ({names}); cancel its corrections first."
