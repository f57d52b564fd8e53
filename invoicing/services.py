"""Every write of the invoicing core. Views, admin, commands and tests call these and nothing else.

Each service runs in one transaction, locks the document row it changes, validates before it
saves and records every status change with its user.
"""

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_fsm import can_proceed

from invoicing import registry, selectors
from invoicing.amounts import ZERO, Amounts, line_amounts, round_money
from invoicing.models import (
    Document,
    DocumentLine,
    DocumentSequence,
    DocumentTransition,
    Kind,
    Payment,
    PaymentKind,
    Status,
    cancel_refusal,
    post_refusal,
    reset_refusal,
)

STALE_MESSAGE = "This document was changed by someone else in the meantime; reload it and try again."


# ----------------------------------------------------------------------------- helpers
def _lock(document):
    """Lock the row and refuse to act on a stale copy (two users, one document)."""
    locked = document_lock(document)
    if locked.status != document.status:
        raise ValidationError(STALE_MESSAGE)
    return locked


def _sync(caller_copy, fresh):
    """Bring the caller's instance up to date (without a query) so it can be used after a service."""
    if caller_copy is not fresh:
        for field in Document._meta.concrete_fields:
            caller_copy.__dict__[field.attname] = fresh.__dict__[field.attname]
        caller_copy._update_initial_state()


def validate(instance, exclude=()):
    """Field and model validation before a save.

    Related objects arrive as instances, and the database enforces the constraints, so neither is
    queried again here (a 500-line document would otherwise spend hundreds of queries on it).
    """
    relations = [f.name for f in instance._meta.concrete_fields if f.is_relation]
    instance.clean_fields(exclude=[*relations, "status", *exclude])
    instance.clean()


def _check_permission(user, permission, what):
    # The same permissions are declared on the FSM transitions, which the card asks for its buttons.
    if user is not None and not user.has_perm(permission):
        raise ValidationError(f"You do not have permission to {what} documents.")


def _record(document, name, source, user):
    DocumentTransition.objects.create(
        document=document, name=name, source=source, target=document.status, user=user, at=timezone.now()
    )


def _default_due_date(document):
    if document.due_date is None and document.date and document.partner_id:
        document.due_date = document.date + timedelta(days=document.partner.payment_terms_days)


def _as_decimal(value, label):
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError(f"{label} must be a number.") from None


# ----------------------------------------------------------------------------- amounts
def _line_amounts(line, taxes, document):
    return line_amounts(
        quantity=line.quantity,
        unit_price=line.unit_price,
        discount=line.discount,
        rates={tax.pk: tax.rate for tax in taxes},
        prices_include_tax=document.type.prices_include_tax,
        currency=document.currency,
    )


def check_line_taxes(taxes):
    """At most one tax of a group on a line."""
    groups = {}
    for tax in taxes:
        if tax.group and tax.group in groups:
            raise ValidationError(
                f"A line may carry one tax of the group “{tax.group}”: choose “{groups[tax.group]}” or “{tax}”."
            )
        if tax.group:
            groups[tax.group] = tax


def document_recompute(*, document, lines=None):
    """Store every line's amounts and the document's sums. `lines` defaults to the stored lines."""
    if lines is None:
        lines = list(document.lines.prefetch_related("taxes"))
    total = Amounts()
    for line in lines:
        amounts = _line_amounts(line, line.taxes.all(), document)
        line.amount_untaxed, line.amount_tax, line.amount_total = amounts.untaxed, amounts.tax, amounts.total
        total = total + amounts
    DocumentLine.objects.bulk_update(lines, ["amount_untaxed", "amount_tax", "amount_total"])
    document.amount_untaxed, document.amount_tax, document.amount_total = total.untaxed, total.tax, total.total
    Document.objects.filter(pk=document.pk).update(
        amount_untaxed=total.untaxed, amount_tax=total.tax, amount_total=total.total
    )
    return total


def document_tax_breakdown(*, document, lines):
    """Per-tax amounts of a document from its (prefetched) lines: [(tax, amount)], by tax name."""
    taxes, amounts = {}, Amounts()
    for line in lines:
        line_taxes = list(line.taxes.all())
        taxes.update({tax.pk: tax for tax in line_taxes})
        amounts = amounts + _line_amounts(line, line_taxes, document)
    return sorted(((taxes[pk], amount) for pk, amount in amounts.taxes.items()), key=lambda row: row[0].name)


# ----------------------------------------------------------------------------- documents
def document_create(
    *,
    kind,
    type,
    company,
    partner,
    user,
    date=None,
    due_date=None,
    currency=None,
    note="",
    vendor_reference="",
    lines=(),
    original=None,
    is_reversal=False,
):
    """A new Draft document with its lines.

    `lines` is a sequence of dicts with item, description, quantity, unit_price, discount, taxes
    and, on returns, source_line.
    """
    with transaction.atomic():
        document = Document(
            kind=kind,
            type=type,
            company=company,
            partner=partner,
            date=date or timezone.localdate(),
            due_date=due_date,
            currency=currency or company.currency,
            note=note,
            vendor_reference=vendor_reference if kind == Kind.BILL else "",
            original=original,
            is_reversal=is_reversal,
            created_by=user,
        )
        _default_due_date(document)
        validate(document)
        document.save()
        _create_lines(document, lines)
        return document


def _create_lines(document, lines):
    new_lines, line_taxes = [], []
    for position, data in enumerate(lines, start=1):
        data = dict(data)
        taxes = list(data.pop("taxes", ()))
        check_line_taxes(taxes)
        line = DocumentLine(document=document, position=data.pop("position", position), **data)
        validate(line)
        amounts = _line_amounts(line, taxes, document)
        line.amount_untaxed, line.amount_tax, line.amount_total = amounts.untaxed, amounts.tax, amounts.total
        new_lines.append(line)
        line_taxes.append(taxes)
    DocumentLine.objects.bulk_create(new_lines)
    through = DocumentLine.taxes.through
    pairs = zip(new_lines, line_taxes, strict=True)
    through.objects.bulk_create([through(documentline_id=ln.pk, tax_id=tax.pk) for ln, taxes in pairs for tax in taxes])
    total = Amounts()
    for line, taxes in zip(new_lines, line_taxes, strict=True):
        total = total + _line_amounts(line, taxes, document)
    document.amount_untaxed, document.amount_tax, document.amount_total = total.untaxed, total.tax, total.total
    Document.objects.filter(pk=document.pk).update(
        amount_untaxed=total.untaxed, amount_tax=total.tax, amount_total=total.total
    )
    return new_lines


def document_save_draft(*, document, user):
    """Save the header of a draft typed into a form (lines are saved by the form, then recomputed)."""
    with transaction.atomic():
        if document.pk:
            locked = Document.objects.select_for_update().only("status").get(pk=document.pk)
            if locked.status != Status.DRAFT:
                raise ValidationError(
                    f"This document is {locked.get_status_display()} now; posted documents are read-only. "
                    "Reload it to see its current state."
                )
        else:
            document.created_by = user
        if document.kind == Kind.INVOICE:
            document.vendor_reference = ""
        _default_due_date(document)
        validate(document)
        document.save()
        return document


def document_delete(*, document, user):
    with transaction.atomic():
        locked = _lock(document)
        if locked.status != Status.DRAFT:
            raise ValidationError("Only a draft may be deleted; cancel a posted document instead.")
        if locked.number:
            raise ValidationError(
                f"{locked.number} has been numbered; cancel it instead of deleting it so the numbering stays gapless."
            )
        if locked.corrections.exists() or DocumentLine.objects.filter(source_line__document=locked).exists():
            raise ValidationError("Other documents refer to this draft; delete them first.")
        locked.delete()


def _assign_number(document):
    if document.number:  # reset to draft keeps the number; posting again reuses it
        return
    year = document.date.year
    sequences = DocumentSequence.objects.select_for_update()
    sequence = sequences.filter(type_id=document.type_id, year=year).first()
    if sequence is None:
        # The first number of a year: the inserted row is ours until commit; a concurrent first
        # poster waits on the unique key, then finds and locks the row.
        sequence, created = DocumentSequence.objects.get_or_create(type_id=document.type_id, year=year)
        if not created:
            sequence = sequences.get(pk=sequence.pk)
    # The row is locked until this transaction ends, so the increment cannot be lost or repeated.
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    document.number = f"{document.type.series}/{year}/{sequence.last_number:05d}"


def document_post(*, document, user):
    """Draft → To pay: checks every guard, assigns the number, freezes lines and amounts."""
    with transaction.atomic():
        locked = _lock(document)
        if locked.status != Status.DRAFT:
            raise ValidationError(f"Only a draft can be posted; this document is {locked.get_status_display()}.")
        _check_permission(user, "invoicing.post_document", "post")
        locked.posting = True  # the guards may take row locks now (the card asks them too, read-only)
        # Freeze what the lines say now, with today's type and currency, whoever saved the draft last.
        lines = list(locked.lines.prefetch_related("taxes"))
        document_recompute(document=locked, lines=lines)
        selectors.attach_loaded(document=locked, lines=lines)
        message = post_refusal(locked)
        if message:
            raise ValidationError(f"Cannot post: {message}")
        try:
            validate(locked)
        except ValidationError as error:
            raise ValidationError(f"Cannot post: {' '.join(error.messages)}") from None
        source = locked.status
        locked.post()
        _assign_number(locked)
        locked.posted_at = timezone.now()
        locked.debt_total = locked.amount_total
        locked.balance_due = _balance(locked)
        locked.save()
        _record(locked, "post", source, user)
        registry.run_after_transition(document=locked, name="post", user=user)
        document_refresh_balance(document=locked, user=user)
    _sync(document, locked)
    return locked


def document_reset_to_draft(*, document, user):
    with transaction.atomic():
        locked = _lock(document)
        if locked.status != Status.TO_PAY:
            raise ValidationError(
                f"Only a To pay document can be reset to draft; this one is {locked.get_status_display()}."
            )
        _check_permission(user, "invoicing.reset_document", "reset")
        message = reset_refusal(locked)
        if message:
            raise ValidationError(f"Cannot reset to draft: {message}")
        source = locked.status
        locked.reset_to_draft()
        locked.posted_at = None
        locked.save()
        _record(locked, "reset_to_draft", source, user)
        registry.run_after_transition(document=locked, name="reset_to_draft", user=user)
        document_refresh_balance(document=locked, user=user)
    _sync(document, locked)
    return locked


def document_cancel(*, document, user):
    with transaction.atomic():
        locked = _lock(document)
        if locked.status == Status.CANCELED:
            raise ValidationError("This document is already canceled.")
        _check_permission(user, "invoicing.cancel_document", "cancel")
        message = cancel_refusal(locked)
        if message:
            raise ValidationError(f"Cannot cancel: {message}")
        source = locked.status
        locked.cancel()
        locked.save()
        _record(locked, "cancel", source, user)
        registry.run_after_transition(document=locked, name="cancel", user=user)
        document_refresh_balance(document=locked, user=user)
    _sync(document, locked)
    return locked


def _balance(document):
    """Balance due = debt total − net paid − credit applied; nothing is due on drafts and canceled ones."""
    if not document.is_posted:
        return ZERO
    return round_money(document.debt_total - document.net_paid - document.credit_applied, document.currency)


def document_refresh_balance(*, document, user, fields=()):
    """Store the balance due of a locked document (and `fields` changed by the caller); Paid ↔ To pay.

    Services of other apps call it after changing `debt_total` or `credit_applied`.
    """
    stored_balance = document.balance_due
    document.balance_due = _balance(document)
    moved = None
    if document.status == Status.TO_PAY and can_proceed(document.mark_paid):
        document.mark_paid()
        moved = ("mark_paid", Status.TO_PAY)
    elif document.status == Status.PAID and can_proceed(document.reopen):
        document.reopen()
        moved = ("reopen", Status.PAID)
    if moved:
        document.save()
        _record(document, moved[0], moved[1], user)
    elif fields or document.balance_due != stored_balance:
        Document.objects.filter(pk=document.pk).update(
            balance_due=document.balance_due, **{name: getattr(document, name) for name in fields}
        )
    return document.balance_due


def document_lock(document):
    """Lock a document's row (returns the locked, fresh copy); services of other apps use it too.

    of=("self",): lock the document alone, not the type and partner rows joined to it."""
    return Document.objects.select_for_update(of=("self",)).select_related("type", "partner").get(pk=document.pk)


# ----------------------------------------------------------------------------- payments
def payment_register(*, document, kind, method, amount, user, date=None, reference=""):
    """A payment settles a positive balance due; a refund settles open credit. Neither may exceed it."""
    amount = _as_decimal(amount, "The amount")
    with transaction.atomic():
        locked = _lock(document)
        if not locked.is_posted:
            raise ValidationError(
                f"Payments are registered on posted documents; this one is {locked.get_status_display()}."
            )
        if user is not None and not user.has_perm("invoicing.add_payment"):
            raise ValidationError("You do not have permission to register payments.")
        if amount <= 0:
            raise ValidationError("The amount must be greater than zero.")
        if round_money(amount, locked.currency) != amount:
            raise ValidationError(f"{amount} has more decimals than {locked.currency} allows.")
        if not method.is_active:
            raise ValidationError(f"The payment method “{method}” is deactivated; choose another.")
        balance = locked.balance_due
        if kind == PaymentKind.PAYMENT:
            if balance <= 0:
                raise ValidationError("Nothing is due on this document; a payment cannot be registered.")
            if amount > balance:
                raise ValidationError(
                    f"The payment of {amount} exceeds the balance due of {balance} {locked.currency}."
                )
        elif kind == PaymentKind.REFUND:
            open_credit = -balance
            if open_credit <= 0:
                raise ValidationError("There is no open credit on this document to refund.")
            if amount > open_credit:
                raise ValidationError(
                    f"The refund of {amount} exceeds the open credit of {open_credit} {locked.currency}."
                )
        else:
            raise ValidationError("Choose Payment or Refund.")
        payment = Payment(
            document=locked,
            kind=kind,
            method=method,
            amount=amount,
            currency=locked.currency,
            date=date or timezone.localdate(),
            reference=reference,
            created_by=user,
        )
        validate(payment)
        payment.save()
        # The row is locked, so adding to the stored sum is safe; check_balances audits it.
        locked.net_paid += payment.signed_amount
        document_refresh_balance(document=locked, user=user, fields=["net_paid"])
    _sync(document, locked)
    return payment
