"""Writes of the returns app: creating a return, and the credit a posted return applies to its source."""

from django.core.exceptions import ValidationError
from django.db import transaction

from invoicing import services as invoicing_services
from invoicing.amounts import ZERO, net_unit_price, round_money
from invoicing.models import (
    POSTED_STATUSES,
    Allocation,
    Document,
    DocumentLine,
    Kind,
    Side,
    document_side,
    opposite_kind,
)
from returns import selectors


def return_label(kind):
    """What the Return action creates from a document of `kind`."""
    return "credit note" if kind == Kind.INVOICE else "refund"


def add_permission(kind):
    """The permission needed to create a return from a document of `kind`."""
    return "invoicing.add_bill" if opposite_kind(kind) == Kind.BILL else "invoicing.add_invoice"


def return_refusal(document):
    """Why no return can be made from this document now (without looking at its lines), or None."""
    if document.type.is_return:
        return f"A {document.type_label.lower()} cannot be returned; returns are made from invoices and bills."
    if document.status not in POSTED_STATUSES:
        return (
            f"Only a To pay or Paid {document.type_label.lower()} can be returned; "
            f"this one is {document.get_status_display()}."
        )
    return_type = document.type.return_type
    if return_type is None:
        return (
            f"The type “{document.type}” has no Return type: an administrator must configure a Return type "
            f"on the type “{document.type}”."
        )
    if not return_type.is_active:
        return (
            f"The Return type “{return_type}” of the type “{document.type}” is inactive: an administrator must "
            f"activate it or configure another Return type on the type “{document.type}”."
        )
    return None


def _return_line(line, quantity, currency):
    data = {
        "item": line.item,
        "description": line.description,
        "quantity": quantity,
        "taxes": list(line.taxes.all()),
        "source_line": line,
    }
    net = net_unit_price(line.unit_price, line.discount)
    if round_money(net, currency) == net:
        data.update(unit_price=round_money(net, currency), discount=ZERO)
    else:
        # The net price has more decimals than a price may hold: rounding it would make the return
        # differ from what was sold, so the price and discount are kept as they were.
        data.update(unit_price=line.unit_price, discount=line.discount)
    return data


def return_create(*, document, user, reason=""):
    """A Draft credit note (from an invoice) or refund (from a bill) with what is still returnable.
    `reason` may be given now or typed on the draft; posting requires it."""
    kind = opposite_kind(document.kind)
    if user is not None and not user.has_perm(add_permission(document.kind)):
        raise ValidationError(f"You do not have permission to create {return_label(document.kind)}s.")
    with transaction.atomic():
        source = Document.objects.select_related("type__return_type", "company", "partner").get(pk=document.pk)
        message = return_refusal(source)
        if message:
            raise ValidationError(message)
        lines = list(DocumentLine.objects.filter(document=source).select_related("item").prefetch_related("taxes"))
        rows = selectors.line_return_rows(lines=lines)
        new_lines = [_return_line(line, rows[line.pk][2], source.currency) for line in lines if rows[line.pk][2] > 0]
        if not new_lines:
            raise ValidationError(
                f"Everything on {source.display_number} has already been returned; nothing is left to return."
            )
        return invoicing_services.document_create(
            kind=kind,
            type=source.type.return_type,
            company=source.company,
            partner=source.partner,
            user=user,
            currency=source.currency,
            note=f"Return of {source.type_label.lower()} {source.display_number}.",
            lines=new_lines,
            reason=reason,
        )


# ----------------------------------------------------------------------------- the automatic allocation
def _target_of(document):
    """The document a return credits: its source, or the source's original when the source is a correction."""
    row = (
        DocumentLine.objects.filter(document=document, source_line__isnull=False)
        .order_by("position", "pk")
        .values_list("source_line__document_id", "source_line__document__original_id")
        .first()
    )
    if row is None:
        return None
    source_id, original_id = row
    return invoicing_services.document_lock(Document(pk=original_id or source_id))


def _apply_credit(document, user):
    """The return's total settles what is open on its source, at most that: an automatic allocation."""
    target = _target_of(document)
    if target is None:
        return
    return_side, target_side = document_side(document), document_side(target)
    if return_side is None or target_side is None or return_side == target_side:
        return  # nothing open on the source (e.g. already paid), or it holds credit itself
    credit = min(abs(document.balance_due), abs(target.balance_due))
    receivable, payable = (target, document) if target_side == Side.RECEIVABLE else (document, target)
    invoicing_services.allocation_apply_locked(
        receivable=receivable, payable=payable, amount=credit, user=user, automatic=True
    )


def _remove_credit(document, user):
    for allocation in Allocation.objects.touching(document).in_force().filter(is_automatic=True):
        other = allocation.payable_id if allocation.receivable_id == document.pk else allocation.receivable_id
        documents = {document.pk: document, other: invoicing_services.document_lock(Document(pk=other))}
        invoicing_services.allocation_reverse_locked(allocation=allocation, documents=documents, user=user)


def after_transition(*, document, name, user):
    """Posting a return credits its source's open balance; canceling or resetting it takes that back.

    Runs inside the transition's transaction with the return's row locked; the target is locked
    here too, so its balance cannot move between reading it and applying the credit.
    """
    if not selectors.is_return_document(document):
        return
    if name == "post":
        _apply_credit(document, user)
    elif name in ("cancel", "reset_to_draft"):
        _remove_credit(document, user)
