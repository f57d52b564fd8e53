"""Every write of the corrections app: creating a correction and the correction debt (SPEC 5)."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max

from corrections.selectors import chain_of, effective_total, load_lines
from invoicing import services as core
from invoicing.models import POSTED_STATUSES, Document, Kind, Status


def _line_data(line, *, negate=False):
    """A line of a state, copied into a correction. A replacement's line remembers the line it replaces
    (SPEC 5 "Lines before and after"); a reversal's lines are a delta and replace nothing."""
    return {
        "replaces": None if negate else line.pk,
        "item": line.item,
        "description": line.description,
        "quantity": -line.quantity if negate else line.quantity,
        "unit_price": line.unit_price,
        "discount": line.discount,
        "taxes": list(line.taxes.all()),
    }


def _reversal_lines(chain):
    """A full reversal: the replacement state's lines negated, plus every counted reversal's lines
    negated back, so the new document's amounts are exactly minus the effective amounts. Negating a
    quantity negates each rounded amount exactly (half-up rounds away from zero), so the totals match."""
    load_lines([chain.replacement, *(row.document for row in chain.counted_reversals)])
    lines = [_line_data(line, negate=True) for line in chain.replacement.lines.all()]
    for row in chain.counted_reversals:
        lines += [_line_data(line, negate=True) for line in row.document.lines.all()]
    return lines


def creation_refusal(*, document, user, reversal=False):
    """Why `user` may not create a correction of `document` now (None when they may)."""
    what = Kind(document.kind).label.lower()
    if user is not None and not user.has_perm(f"invoicing.add_{document.kind}"):
        return f"You do not have permission to create corrections of {what}s."
    if document.status == Status.DRAFT:
        return f"Only a posted {what} can be corrected; post this draft or edit it directly."
    if document.status == Status.CANCELED:
        return f"{document} is canceled; a canceled {what} cannot be corrected."
    if reversal and document.kind != Kind.BILL:
        return "Reversal exists on bill corrections only; correct an invoice with a replacement."
    if document.type.is_return:
        return (
            f"{document} is a return: cancel it and record the return again instead of correcting it, so the "
            "returned quantities and the credit it applied stay right."
        )
    return None


def correction_create(*, document, user, reversal=False, reason=""):
    """A new Draft correction of `document` (or of its original, when `document` is a correction).

    Replacement: the lines of the previous state, for the accountant to edit into the corrected
    state. Reversal (bills only): the negated effective state, to edit down to a partial delta.
    `reason` may be given now or typed on the draft; posting requires it.
    """
    message = creation_refusal(document=document, user=user, reversal=reversal)
    if message:
        raise ValidationError(message)
    what = Kind(document.kind).label.lower()
    with transaction.atomic():
        original = Document.objects.select_related("type", "partner", "company").get(
            pk=document.original_id or document.pk
        )
        if original.status not in POSTED_STATUSES:
            raise ValidationError(
                f"The original {what} {original.display_number} is {original.get_status_display()}; "
                "only a posted document can be corrected."
            )
        chain = chain_of(original=original)
        load_lines([chain.replacement])
        previous_state = [_line_data(line) for line in chain.replacement.lines.all()]
        lines = _reversal_lines(chain) if reversal else previous_state
        return core.document_create(
            kind=original.kind,
            type=original.type,
            company=original.company,
            partner=original.partner,
            currency=original.currency,
            note=original.note,
            user=user,
            lines=lines,
            original=original,
            is_reversal=reversal,
            reason=reason,
        )


def correction_after_transition(*, document, name, user):
    """The correction debt: a correction carries none itself, its original carries the effective total.

    Runs inside the core's transition transaction, with `document` (the correction) locked.
    """
    if not document.original_id:
        return
    # Lock the original before reading the chain, so two corrections posted at once take turns:
    # each sees the other's index and amounts.
    original = core.document_lock(Document(pk=document.original_id))
    fields = ["debt_total"]
    if name == "post" and document.correction_index is None:
        last = Document.objects.filter(original_id=original.pk).aggregate(last=Max("correction_index"))["last"]
        document.correction_index = (last or 0) + 1
        fields.append("correction_index")
    document.debt_total = 0
    core.document_refresh_balance(document=document, user=user, fields=fields)
    original.debt_total = effective_total(original=original)
    core.document_refresh_balance(document=original, user=user, fields=["debt_total"])
