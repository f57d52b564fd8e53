"""Every write of the invoicing core. Views, admin, commands and tests call these and nothing else.

Each service runs in one transaction, locks the document row it changes, validates before it
saves and records every status change with its user.
"""

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django_fsm import can_proceed

from invoicing import registry, selectors
from invoicing.amounts import (
    AMOUNT_PLACES,
    MAX_DIGITS,
    QUANTITY_PLACES,
    ZERO,
    Amounts,
    decimals_of,
    fits,
    line_amounts,
    parse_decimal,
    round_money,
)
from invoicing.models import (
    Allocation,
    Document,
    DocumentLine,
    DocumentSequence,
    DocumentTransition,
    Item,
    Kind,
    Payment,
    PaymentKind,
    Side,
    Status,
    Tax,
    document_side,
    guards_checked_once,
    refusal,
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


def error_dict(error):
    """{field or "__all__": [ValidationError]} of any ValidationError, with or without fields."""
    return error.error_dict if hasattr(error, "error_dict") else {"__all__": error.error_list}


def _check_permission(user, permission, what):
    # The same permissions are declared on the FSM transitions, which the card asks for its buttons.
    if user is not None and not user.has_perm(permission):
        raise ValidationError(f"You do not have permission to {what} documents.")


def _record(document, name, source, user):
    DocumentTransition.objects.create(
        document=document, name=name, source=source, target=document.status, user=user, at=timezone.now()
    )


def _as_decimal(value, label):
    try:
        number = parse_decimal(value)
    except (ArithmeticError, TypeError, ValueError):
        raise ValidationError(f"{label} must be a number.") from None
    if not fits(number, AMOUNT_PLACES):
        raise ValidationError(f"{label} {number} is too large.")
    return number


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


def line_tax_group_error(taxes):
    """At most one tax of a group on a line: the message when two share one, else None."""
    groups = {}
    for tax in taxes:
        if tax.group and tax.group in groups:
            return f"A line may carry one tax of the group “{tax.group}”: choose “{groups[tax.group]}” or “{tax}”."
        if tax.group:
            groups[tax.group] = tax
    return None


def document_recompute(*, document, lines):
    """Recompute the lines' amounts and the document's sums with today's rates and type: the lines whose
    amounts changed are written (usually none: the draft save stored them), the sums are set on `document`
    for the caller's save."""
    total, changed = Amounts(), []
    for line in lines:
        amounts = _line_amounts(line, line.taxes.all(), document)
        stored = (line.amount_untaxed, line.amount_tax, line.amount_total)
        line.amount_untaxed, line.amount_tax, line.amount_total = amounts.untaxed, amounts.tax, amounts.total
        if stored != (amounts.untaxed, amounts.tax, amounts.total):
            changed.append(line)
        total = total + amounts
    _update_lines(changed)
    _store_totals(document, total)
    return total


def _store_totals(document, total):
    document.amount_untaxed, document.amount_tax, document.amount_total = total.untaxed, total.tax, total.total
    document.tax_amounts = total.stored_taxes()


def document_amounts(document):
    """A document's stored untaxed amount and per-tax amounts (no line is read)."""
    return Amounts.stored(document.amount_untaxed, document.tax_amounts)


def document_tax_breakdown(*, document, taxes=None):
    """[(tax, amount)] by tax name, from the stored per-tax amounts; `taxes` ({id: Tax}, e.g. from the loaded
    lines) saves the query for their names."""
    amounts = document_amounts(document).taxes
    missing = set(amounts) - set(taxes or {})
    taxes = {**(taxes or {}), **(Tax.objects.in_bulk(missing) if missing else {})}
    return sorted(((taxes[pk], amount) for pk, amount in amounts.items()), key=lambda row: row[0].name)


# ----------------------------------------------------------------------------- drafts: the one write path
HEADER_FIELDS = (
    "type", "company", "partner", "date", "due_date", "currency", "note", "vendor_reference", "original",
    "is_reversal", "reason",
)  # fmt: skip
LINE_NUMBERS = {
    # field: (label, decimals allowed, max digits of its column)
    "quantity": ("Quantity", QUANTITY_PLACES, MAX_DIGITS),
    "unit_price": ("Unit price", AMOUNT_PLACES, MAX_DIGITS),
    "discount": ("Discount", AMOUNT_PLACES, 5),
}
MAX_LINES = 2000  # a draft of this many lines saves through the card (see DATA_UPLOAD_MAX_NUMBER_FIELDS)
STALE_DRAFT_MESSAGE = (
    "Someone else changed this draft after you opened it. Your input is kept below: save again to replace "
    "their version with yours, or reload the page to see theirs."
)


def _id_of(value):
    return getattr(value, "pk", value)


def _in_bulk(model, values, queryset=None):
    """{pk: instance} for the ids or instances given, in one query (none when all are instances)."""
    found = {v.pk: v for v in values if isinstance(v, model)}
    missing = {v for v in values if v is not None and not isinstance(v, model)}
    if missing:
        try:
            ids = {int(v) for v in missing}
        except (TypeError, ValueError):
            ids = set()
        source = model.objects if queryset is None else queryset  # never `queryset or …`: that reads the table
        found.update(source.in_bulk(ids) if ids else {})
    return found


class _DraftErrors:
    """Every problem of one save, keyed the way the card's form shows them (field name, or lines.N.field)."""

    def __init__(self):
        self.errors = {}

    def add(self, key, message):
        self.errors.setdefault(key, []).append(message)

    def line(self, index, field, message):
        self.add(f"lines.{index}.{field}" if field else f"lines.{index}", message)

    def raise_if_any(self):
        if self.errors:
            raise ValidationError(self.errors)


def _number(value, field, index, errors, position):
    label, places, max_digits = LINE_NUMBERS[field]
    try:
        number = parse_decimal(value)
    except (ValueError, ArithmeticError):
        errors.line(index, field, f"Line {position}: {label.lower()} “{str(value)[:40]}” is not a number.")
        return None
    if decimals_of(number) > places:
        errors.line(index, field, f"Line {position}: {label.lower()} has more than {places} decimals.")
        return None
    if not fits(number, places, max_digits):
        errors.line(index, field, f"Line {position}: {label.lower()} {number} is too large.")
        return None
    return number


_LINE_STATE = (
    "position", "item_id", "description", "quantity", "unit_price", "discount", "source_line_id", "replaces_id",
    "amount_untaxed", "amount_tax", "amount_total",
)  # fmt: skip


def _prepare_lines(document, lines, errors):
    """The lines as they will be stored (unsaved or kept instances, with `_taxes`), checked one by one.

    Items, taxes, source lines and replaced lines are read once for all lines."""
    lines = [dict(line) for line in lines]
    if len(lines) > MAX_LINES:
        errors.add("__all__", f"A draft has at most {MAX_LINES} lines; split it into several documents.")
        return []
    kept = {line.pk: line for line in document.lines.all()} if document.pk else {}
    for line in kept.values():  # what is stored, so only the lines that change are written
        line._loaded = {f: getattr(line, f) for f in _LINE_STATE}
    items = _in_bulk(Item, [line.get("item") for line in lines])
    taxes = _in_bulk(Tax, [tax for line in lines for tax in line.get("taxes") or ()])
    related = ("item", "document__type", "document__partner", "document__company")
    sources = _in_bulk(
        DocumentLine,
        [line.get("source_line") for line in lines],
        DocumentLine.objects.select_related(*related),
    )
    replaced = _in_bulk(DocumentLine, [line.get("replaces") for line in lines])
    positions = [p for p in (line.get("position") for line in lines) if isinstance(p, int)]
    next_position = max(positions, default=0)
    prepared = []
    for index, data in enumerate(lines):
        line_id = _id_of(data.get("id"))
        if line_id is not None and line_id not in kept:
            raise ValidationError(STALE_DRAFT_MESSAGE, code="stale")
        line = kept.get(line_id) or DocumentLine(document=document)
        position = data.get("position")
        if position in (None, ""):
            next_position += 1
            position = next_position
        elif not isinstance(position, int) or not 0 < position < 2**31:
            errors.line(index, "position", f"Line {index + 1}: the position must be a whole number from 1.")
            position = index + 1
        line.position = position
        for field in LINE_NUMBERS:
            default = "1" if field == "quantity" else "0"
            value = data.get(field)
            number = _number(default if value in (None, "") else value, field, index, errors, position)
            setattr(line, field, number if number is not None else Decimal(default))
        if not 0 <= line.discount <= 100:
            errors.line(index, "discount", f"Line {position}: the discount is a percentage from 0 to 100.")
        line.description = str(data.get("description") or "")
        if len(line.description) > 300 or "\x00" in line.description:
            errors.line(index, "description", f"Line {position}: the description must be 300 characters or fewer.")
        for name, found, label in (("item", items, "item"), ("source_line", sources, "source line"),
                                   ("replaces", replaced, "replaced line")):  # fmt: skip
            value = data.get(name)
            instance = found.get(_id_of(value)) if value not in (None, "") else None
            if value not in (None, "") and instance is None:
                errors.line(index, name, f"Line {position}: that {label} does not exist (any more).")
            setattr(line, name, instance)
        if line.item is None and not line.description.strip():
            errors.line(index, None, f"Line {position}: give the line an item or a description.")
        line._taxes = [taxes[_id_of(t)] for t in data.get("taxes") or () if _id_of(t) in taxes]
        if len(line._taxes) != len(data.get("taxes") or ()):
            errors.line(index, "taxes", f"Line {position}: one of its taxes does not exist (any more).")
        message = line_tax_group_error(line._taxes)
        if message:
            errors.line(index, "taxes", f"Line {position}: {message}")
        if line.source_line is not None and line.quantity <= 0:
            errors.line(index, "quantity", f"Line {position}: a returned quantity must be greater than zero.")
        prepared.append(line)
    return prepared


def _apply_header(document, header, errors):
    unknown = set(header) - set(HEADER_FIELDS)
    if unknown:
        raise TypeError(f"Unknown header fields: {', '.join(sorted(unknown))}")
    for name, value in header.items():
        setattr(document, name, value)
    if document.kind == Kind.INVOICE:
        document.vendor_reference = ""
    if not document.currency and document.company_id:
        document.currency = document.company.currency
    try:
        validate(document)
    except ValidationError as error:
        for key, messages in error_dict(error).items():
            for message in ValidationError(messages).messages:
                errors.add(key, message)
    if document.due_date is None and document.date and document.partner_id and "date" not in errors.errors:
        document.due_date = document.date + timedelta(days=document.partner.payment_terms_days)


def _compute(document, lines, errors):
    total = Amounts()
    for index, line in enumerate(lines):
        amounts = _line_amounts(line, line._taxes, document)
        line.amount_untaxed, line.amount_tax, line.amount_total = amounts.untaxed, amounts.tax, amounts.total
        if not all(fits(value, AMOUNT_PLACES) for value in (amounts.untaxed, amounts.tax, amounts.total)):
            errors.line(index, None, f"Line {line.position}: its amount {amounts.total} is too large to be stored.")
        total = total + amounts
    if not all(fits(value, AMOUNT_PLACES) for value in (total.untaxed, total.tax, total.total)):
        errors.add("__all__", f"The document total {total.total} is too large to be stored; split the document.")
    _store_totals(document, total)


_LINE_FIELDS = (
    "position", "item", "description", "quantity", "unit_price", "discount", "source_line", "replaces",
    "amount_untaxed", "amount_tax", "amount_total",
)  # fmt: skip


def _update_lines(lines):
    """UPDATE many lines in one statement (`UPDATE … FROM …`, SQLite 3.33+ and PostgreSQL): Django's bulk_update
    builds a CASE per field and line, seconds at a few hundred lines. PostgreSQL reads one array per column
    (`unnest`), a dozen parameters at any size; SQLite a VALUES list, split to stay under its parameter limit."""
    if not lines:
        return
    fields = [DocumentLine._meta.get_field(name) for name in ("id", *_LINE_FIELDS)]
    table = connection.ops.quote_name(DocumentLine._meta.db_table)
    assignments = ", ".join(
        f"{connection.ops.quote_name(field.column)} = v.column{n}" for n, field in enumerate(fields, 1) if n > 1
    )
    update = f"UPDATE {table} SET {assignments} FROM {{source}} WHERE {table}.id = v.column1"
    rows = [[field.get_db_prep_save(getattr(line, field.attname), connection) for field in fields] for line in lines]
    types = [field.cast_db_type(connection) for field in fields]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A VALUES list with a cast per cell took PostgreSQL 14 ms at 200 lines; the arrays about 5.
            arrays = ", ".join(f"%s::{db_type}[]" for db_type in types)
            names = ", ".join(f"column{n}" for n in range(1, len(fields) + 1))
            cursor.execute(
                update.format(source=f"unnest({arrays}) AS v({names})"), [list(c) for c in zip(*rows, strict=True)]
            )
            return
        row = "(" + ", ".join(f"CAST(%s AS {db_type})" for db_type in types) + ")"
        per_statement = max(1, (connection.features.max_query_params or 65535) // len(fields))
        for start in range(0, len(rows), per_statement):
            batch = rows[start : start + per_statement]
            source = f"(VALUES {', '.join([row] * len(batch))}) AS v"
            cursor.execute(update.format(source=source), [value for values in batch for value in values])


def _write_lines(document, lines, *, created):
    """Replace the draft's stored lines by `lines`: kept ones updated (only those that changed), new ones
    inserted, the others deleted — a constant number of statements for any number of lines. A document
    `created` by this very save has nothing stored to delete."""
    keep = [line for line in lines if line.pk]
    new = [line for line in lines if not line.pk]
    for line in new:
        line.document = document
    if not created:
        removed = DocumentLine.objects.filter(document=document).exclude(pk__in=[line.pk for line in keep])
        try:
            removed.delete()
        except ProtectedError as error:
            names = ", ".join(sorted({str(line.document) for line in error.protected_objects}))
            raise ValidationError(f"A line you removed is the source of lines of {names}; keep it.") from None
    changed = [line for line in keep if any(getattr(line, f) != value for f, value in line._loaded.items())]
    _update_lines(changed)
    DocumentLine.objects.bulk_create(new)
    through = DocumentLine.taxes.through
    if not created:
        through.objects.filter(documentline__document=document).delete()
    through.objects.bulk_create(
        [through(documentline_id=line.pk, tax_id=tax.pk) for line in lines for tax in line._taxes]
    )


def _save_draft(document, *, user, lines, header):
    """Validate header, lines and the extensions' rules in one pass; write only when all is well."""
    errors = _DraftErrors()
    _apply_header(document, header, errors)
    prepared = _prepare_lines(document, lines, errors)
    for line in prepared:
        line.item_id, line.source_line_id, line.replaces_id = (
            _id_of(line.item),
            _id_of(line.source_line),
            _id_of(line.replaces),
        )
    if not errors.errors:
        _compute(document, prepared, errors)
    if not errors.errors:
        ctx = registry.HookContext(user=user, lines=prepared)
        message = registry.first_message("draft_lines_error", document, prepared, ctx)
        if message:
            errors.add("__all__", message)
    errors.raise_if_any()
    created = document.pk is None
    document.version += 1
    document.save()
    _write_lines(document, prepared, created=created)
    return document


def document_create(*, kind, type, company, partner, user, lines=(), **header):
    """A new Draft document with its lines (dicts as `document_draft_save` takes them)."""
    with transaction.atomic():
        document = Document(kind=kind, created_by=user)
        header.setdefault("currency", company.currency if company else None)
        return _save_draft(document, user=user, lines=lines, header={**header, "type": type, "company": company,
                                                                      "partner": partner})  # fmt: skip


def document_draft_save(*, document, user, lines, version=None, **header):
    """The one write path of a draft: header fields, and `lines` (dicts: `id` for a kept line, position,
    item, description, quantity, unit_price, discount, taxes, source_line, replaces) replacing all lines.

    `version` is the `Document.version` the editor loaded; it is compared under the row lock, so of two
    simultaneous saves exactly one lands and the other is refused with a message that says so."""
    with transaction.atomic():
        locked = document_lock(document)
        if locked.status != Status.DRAFT:
            raise ValidationError(
                f"This document is {locked.get_status_display()} now; posted documents are read-only. "
                "Reload it to see its current state.",
                code="stale",
            )
        if version is not None and str(locked.version) != str(version):
            raise ValidationError(STALE_DRAFT_MESSAGE, code="stale")
        if user is not None and not user.has_perm(f"invoicing.change_{locked.kind}"):
            raise ValidationError("You do not have permission to change documents.", code="permission")
        _save_draft(locked, user=user, lines=lines, header=header)
    _sync(document, locked)
    return locked


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


# ----------------------------------------------------------------------------- the transition funnel
def transition_meta(name):
    """The django-fsm transition `name` of Document (its permission and its `custom` labels)."""
    method = getattr(Document, name, None)
    meta = getattr(method, "_django_fsm", None)
    if meta is None:
        raise ValueError(f"No transition named {name!r}.")
    return next(iter(meta.transitions.values()))


def _before_post(document, ctx):
    # Freeze what the lines say now, with today's type and currency, whoever saved the draft last.
    lines = list(document.lines.prefetch_related("taxes"))
    document_recompute(document=document, lines=lines)
    selectors.attach_loaded(document=document, lines=lines)
    ctx.lines = lines


def _after_post(document):
    _assign_number(document)
    document.posted_at = timezone.now()
    document.debt_total = document.amount_total
    document.balance_due = _balance(document)


def _after_reset(document):
    document.posted_at = None


_STEPS = {"post": (_before_post, _after_post), "reset_to_draft": (None, _after_reset)}
_VERBS = {"post": "post", "reset_to_draft": "reset", "cancel": "cancel"}


def document_transition(*, document, name, user):
    """Every status change a person asks for goes through here: lock the row, refuse a stale copy, check
    the permission and the guard once, fire the django-fsm transition, record it, run the extensions'
    after-transition hooks and refresh the balance."""
    meta = transition_meta(name)
    if meta.custom.get("automatic"):
        raise ValidationError("This status change happens by itself when the balance moves.")
    label = meta.custom["label"]
    with transaction.atomic():
        locked = _lock(document)
        source = locked.status
        if locked.status not in transition_sources(name):
            raise ValidationError(f"{label} is not possible on a {locked.get_status_display()} document.")
        if meta.permission:
            _check_permission(user, meta.permission, _VERBS.get(name, name))
        ctx = registry.HookContext(user=user, locking=True)
        before, after = _STEPS.get(name, (None, None))
        with guards_checked_once(ctx):
            if before:
                before(locked, ctx)
            message = refusal(locked, name)
            if message:
                raise ValidationError(f"Cannot {label.lower()}: {message}")
            if name == "post":
                try:
                    validate(locked)
                except ValidationError as error:
                    raise ValidationError(f"Cannot post: {' '.join(error.messages)}") from None
            getattr(locked, name)()
        if after:
            after(locked)
        locked.version += 1
        locked.save()
        _record(locked, name, source, user)
        for extension in registry.extensions():
            extension.after_transition(locked, name, ctx)
        document_refresh_balance(document=locked, user=user)
    _sync(document, locked)
    return locked


def transition_sources(name):
    return set(getattr(Document, name)._django_fsm.transitions)


def document_post(*, document, user):
    """Draft → To pay: checks every guard, assigns the number, freezes lines and amounts."""
    if document.status != Status.DRAFT:
        raise ValidationError(f"Only a draft can be posted; this document is {document.get_status_display()}.")
    return document_transition(document=document, name="post", user=user)


def document_reset_to_draft(*, document, user):
    if document.status != Status.TO_PAY:
        raise ValidationError(
            f"Only a To pay document can be reset to draft; this one is {document.get_status_display()}."
        )
    return document_transition(document=document, name="reset_to_draft", user=user)


def document_cancel(*, document, user):
    if document.status == Status.CANCELED:
        raise ValidationError("This document is already canceled.")
    return document_transition(document=document, name="cancel", user=user)


def _balance(document):
    """Balance due = debt total − net paid − allocated; nothing is due on drafts and canceled ones."""
    if not document.is_posted:
        return ZERO
    return round_money(document.debt_total - document.net_paid - document.allocated, document.currency)


def document_refresh_balance(*, document, user, fields=()):
    """Store the balance due of a locked document (and `fields` changed by the caller); Paid ↔ To pay.

    Services of other apps call it after changing `debt_total`.
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
        document.version += 1
        document.save()
        _record(document, moved[0], moved[1], user)
    elif fields or document.balance_due != stored_balance:
        document.version += 1
        Document.objects.filter(pk=document.pk).update(
            balance_due=document.balance_due,
            version=document.version,
            **{name: getattr(document, name) for name in fields},
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


def payment_reverse(*, payment, user, reason):
    """A payment or refund entered by mistake is reversed, never deleted (SPEC 6): the row stays with who,
    when and why, and no longer counts in net paid; the balance and the status follow."""
    reason = " ".join(str(reason or "").split())
    if user is not None and not user.has_perm("invoicing.reverse_payment"):
        raise ValidationError("You do not have permission to reverse payments.")
    if not reason:
        raise ValidationError("Say why the payment is reversed: the reason stays on the document.")
    if len(reason) > 300:
        raise ValidationError("Keep the reason to 300 characters or fewer.")
    with transaction.atomic():
        locked = document_lock(Document(pk=payment.document_id))
        current = Payment.objects.select_for_update(of=("self",)).select_related("reversed_by").get(pk=payment.pk)
        current.document = locked
        label = current.label
        if current.is_reversed:
            raise ValidationError(
                f"This {label.lower()} was already reversed on {timezone.localtime(current.reversed_at):%Y-%m-%d %H:%M}"
                f"{f' by {current.reversed_by}' if current.reversed_by else ''}; it cannot be reversed again."
            )
        if not locked.is_posted:
            raise ValidationError(
                f"{locked} is {locked.get_status_display()}: payments are reversed on posted documents only."
            )
        current.reversed_at, current.reversed_by, current.reversal_reason = timezone.now(), user, reason
        current.save(update_fields=["reversed_at", "reversed_by", "reversal_reason"])
        locked.net_paid -= current.signed_amount
        document_refresh_balance(document=locked, user=user, fields=["net_paid"])
    for name in ("reversed_at", "reversed_by", "reversal_reason"):
        setattr(payment, name, getattr(current, name))
    if Payment.document.is_cached(payment):
        _sync(payment.document, locked)
    return current


# ----------------------------------------------------------------------------- allocations (SPEC 10)
def _lock_in_order(*documents):
    """Lock documents in the order of their keys, so two allocations between the same documents, in
    opposite directions, queue one after the other instead of deadlocking. {pk: locked copy}."""
    return {pk: document_lock(Document(pk=pk)) for pk in sorted({document.pk for document in documents})}


def _allocation_sides(first, second):
    """(receivable, payable) of two locked documents, or the reason they cannot settle each other."""
    for document in (first, second):
        if not document.is_posted:
            raise ValidationError(
                f"{document} is {document.get_status_display()}: only posted documents that are not canceled "
                "can settle each other."
            )
    if first.partner_id != second.partner_id:
        raise ValidationError(
            f"{second} is for “{second.partner}”, not “{first.partner}”: credit only settles documents of the "
            "same partner."
        )
    if first.company_id != second.company_id:
        raise ValidationError(f"{second} belongs to another company than {first}: allocations stay in one company.")
    if first.currency != second.currency:
        raise ValidationError(
            f"{second} is in {second.currency}, {first} in {first.currency}: allocations never mix currencies."
        )
    sides = {document.pk: document_side(document) for document in (first, second)}
    for document in (first, second):
        if sides[document.pk] is None:
            raise ValidationError(f"Nothing is open on {document} any more; reload the card.")
    if sides[first.pk] == sides[second.pk]:
        what = "the partner owes us" if sides[first.pk] == Side.RECEIVABLE else "we owe the partner"
        raise ValidationError(
            f"{first} and {second} are on the same side (both are amounts {what}): an allocation settles what "
            "the partner owes us against what we owe the partner."
        )
    return (first, second) if sides[first.pk] == Side.RECEIVABLE else (second, first)


def allocation_apply_locked(*, receivable, payable, amount, user, automatic=False):
    """Record an allocation between two documents the caller has locked and checked; both balances move
    toward zero by `amount`, in the direction their sides fix for good."""
    allocation = Allocation.objects.create(
        receivable=receivable,
        payable=payable,
        amount=amount,
        currency=receivable.currency,
        is_automatic=automatic,
        created_by=user,
    )
    for document in (receivable, payable):
        document.allocated += allocation.effect(document)
        document_refresh_balance(document=document, user=user, fields=["allocated"])
    return allocation


def allocation_reverse_locked(*, allocation, documents, user):
    """Reverse an allocation whose two documents the caller has locked ({pk: locked copy}): the row stays."""
    allocation.reversed_at, allocation.reversed_by = timezone.now(), user
    allocation.save(update_fields=["reversed_at", "reversed_by"])
    for pk in (allocation.receivable_id, allocation.payable_id):
        document = documents[pk]
        document.allocated -= allocation.effect(document)
        document_refresh_balance(document=document, user=user, fields=["allocated"])


def allocation_create(*, document, counterpart, amount, user):
    """Settle `amount` of a receivable document against a payable one of the same partner, company and
    currency (either order). At most the smaller open amount; both documents locked in key order."""
    amount = _as_decimal(amount, "The amount")
    if user is not None and not user.has_perm("invoicing.add_allocation"):
        raise ValidationError("You do not have permission to allocate credit between documents.")
    if document.pk == counterpart.pk:
        raise ValidationError("A document cannot settle itself; choose another document of the partner.")
    with transaction.atomic():
        locked = _lock_in_order(document, counterpart)
        first, second = locked[document.pk], locked[counterpart.pk]
        receivable, payable = _allocation_sides(first, second)
        if amount <= 0:
            raise ValidationError("The amount must be greater than zero.")
        if round_money(amount, first.currency) != amount:
            raise ValidationError(f"{amount} has more decimals than {first.currency} allows.")
        most = min(abs(first.balance_due), abs(second.balance_due))
        if amount > most:
            raise ValidationError(
                f"{amount} {first.currency} is more than is open: at most {most} {first.currency} can be applied "
                f"between {first} ({abs(first.balance_due)} open) and {second} ({abs(second.balance_due)} open)."
            )
        allocation = allocation_apply_locked(receivable=receivable, payable=payable, amount=amount, user=user)
    _sync(document, first)
    _sync(counterpart, second)
    return allocation


def allocation_reverse(*, allocation, user):
    """Remove a manual allocation: it is reversed (the row stays, with who and when); balances and statuses
    follow at once. A return's automatic credit goes with the return (cancel it instead)."""
    if user is not None and not user.has_perm("invoicing.add_allocation"):
        raise ValidationError("You do not have permission to remove allocations.")
    with transaction.atomic():
        locked = _lock_in_order(Document(pk=allocation.receivable_id), Document(pk=allocation.payable_id))
        current = (
            Allocation.objects.select_for_update(of=("self",))
            .select_related("receivable__type", "payable__type", "reversed_by")
            .get(pk=allocation.pk)
        )
        if current.is_reversed:
            raise ValidationError(
                f"This allocation between {current.receivable} and {current.payable} was already removed"
                f"{f' by {current.reversed_by}' if current.reversed_by else ''}."
            )
        if current.is_automatic:
            raise ValidationError(
                f"This is the credit a return applies to its source ({current.receivable} and {current.payable}): "
                "it goes when the return is canceled."
            )
        allocation_reverse_locked(allocation=current, documents=locked, user=user)
    allocation.reversed_at, allocation.reversed_by = current.reversed_at, current.reversed_by
    return current
