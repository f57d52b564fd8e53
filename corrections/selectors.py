"""Reads of correction chains (SPEC 5): previous documents, amount corrections, effective amounts.

A chain is read in one query whatever its length: the original and all its corrections, whose stored
amounts (totals and per-tax amounts) are all the figures need; one more names their taxes. Which correction
is whose previous document and every amount correction are computed in Python. Lines are read only where
they are shown or copied (`load_lines`).
"""

from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Prefetch, Q, prefetch_related_objects

from invoicing.amounts import ZERO, Amounts
from invoicing.models import POSTED_STATUSES, Document, DocumentLine, Status, Tax
from invoicing.selectors import attach_loaded
from invoicing.services import document_amounts


def load_lines(documents):
    """Prefetch the lines (with their taxes) of those `documents` whose lines are not loaded yet: two queries."""
    missing = [d for d in documents if "lines" not in getattr(d, "_prefetched_objects_cache", {})]
    if missing:
        lines = Prefetch("lines", queryset=DocumentLine.objects.prefetch_related("taxes"))
        prefetch_related_objects(missing, lines)


def _taxes_named(documents, known):
    """{tax id: Tax} of every per-tax amount of `documents`; `known` ones need no query."""
    ids = {int(tax_id) for document in documents for tax_id in document.tax_amounts}
    missing = ids - set(known)
    return {**known, **(Tax.objects.in_bulk(missing) if missing else {})}


def corrections_exist():
    """Whether a document has corrections, correlated on OuterRef("pk") (the card's `card_exists`)."""
    return Exists(Document.objects.filter(original=OuterRef("pk")))


def is_counted(correction):
    """Only posted, non-canceled corrections count in the original's figures."""
    return correction.status in POSTED_STATUSES


@dataclass
class ChainRow:
    """One correction of a chain as the Corrections tab and the footer show it."""

    document: Document
    amounts: Amounts
    # Replacement: this − previous; reversal: its own amounts. A draft's is prospective (against the
    # current state); a canceled correction's is zero, since canceling takes it out of every figure.
    amount_correction: Amounts
    previous: Document | None  # the document a replacement is compared with (None on reversals)
    words: str = ""  # what its status says on the tab (SPEC 4): "Settled against <original>", set by the card

    @property
    def index(self):
        return self.document.correction_index

    @property
    def is_reversal(self):
        return self.document.is_reversal

    @property
    def is_counted(self):
        return is_counted(self.document)

    @property
    def is_draft(self):
        return self.document.status == Status.DRAFT


@dataclass
class Chain:
    original: Document
    original_amounts: Amounts
    rows: list = field(default_factory=list)
    # The current replacement state: the latest counted non-reversal correction, or the original.
    replacement: Document | None = None
    replacement_amounts: Amounts = field(default_factory=Amounts)
    reversal_amounts: Amounts = field(default_factory=Amounts)  # Σ counted reversal corrections
    taxes: dict = field(default_factory=dict)

    @property
    def effective(self):
        return self.replacement_amounts + self.reversal_amounts

    @property
    def latest_replacement_row(self):
        """The latest counted non-reversal correction's row (None when the original still stands)."""
        return next((row for row in self.rows if row.document is self.replacement), None)

    @property
    def counted_reversals(self):
        return [row for row in self.rows if row.is_reversal and row.is_counted]

    def row_for(self, correction):
        return next((row for row in self.rows if row.document.pk == correction.pk), None)


def _chain_order(document):
    # Posted (and later canceled) corrections in index order, then the never-posted ones as created.
    return (document.correction_index is None, document.correction_index or 0, document.pk)


def chain_of(*, original, original_lines=None, known_taxes=None, documents=None):
    """The whole chain of `original` from stored amounts: one query for its documents (none when the caller
    has them: `documents`), one more for the names of their taxes unless the original's lines, when the caller
    has them loaded (`original_lines`, with their taxes; `known_taxes`, {id: Tax} of those, if at hand), name
    them all."""
    if documents is None:
        documents = Document.objects.filter(Q(pk=original.pk) | Q(original_id=original.pk)).select_related("type")
    documents = list(documents)
    original = next(d for d in documents if d.pk == original.pk)
    corrections = sorted((d for d in documents if d.pk != original.pk), key=_chain_order)
    known = {}
    if original_lines is not None:
        attach_loaded(document=original, lines=original_lines)
        known = known_taxes or {tax.pk: tax for line in original_lines for tax in line.taxes.all()}
    for correction in corrections:
        correction.original = original  # so labels and links need no query

    original_amounts = document_amounts(original)
    chain = Chain(
        original=original,
        original_amounts=original_amounts,
        replacement=original,
        replacement_amounts=original_amounts,
        taxes=_taxes_named(documents, known),
    )
    pending = []
    for correction in corrections:
        amounts = document_amounts(correction)
        if correction.status == Status.DRAFT:
            pending.append((correction, amounts))  # compared with the state once every posted one is in
            continue
        if not is_counted(correction):
            chain.rows.append(ChainRow(correction, amounts, Amounts(), None))
        elif correction.is_reversal:
            chain.rows.append(ChainRow(correction, amounts, amounts, None))
            chain.reversal_amounts = chain.reversal_amounts + amounts
        else:
            chain.rows.append(ChainRow(correction, amounts, amounts - chain.replacement_amounts, chain.replacement))
            chain.replacement, chain.replacement_amounts = correction, amounts
    for correction, amounts in pending:
        if correction.is_reversal:
            chain.rows.append(ChainRow(correction, amounts, amounts, None))
        else:
            chain.rows.append(ChainRow(correction, amounts, amounts - chain.replacement_amounts, chain.replacement))
    chain.rows.sort(key=lambda row: _chain_order(row.document))
    return chain


def correction_chain(*, original):
    """Rows of every correction of `original` (index order, drafts last), in constant queries."""
    return chain_of(original=original).rows


def correction_amount(*, correction):
    """The amount correction of `correction` (Amounts, per tax included)."""
    if not correction.original_id:
        raise ValueError(f"{correction} is not a correction.")
    return chain_of(original=correction.original).row_for(correction).amount_correction


def previous_document(*, correction):
    """The document a replacement correction is compared with; None on reversals and canceled ones."""
    return chain_of(original=correction.original).row_for(correction).previous


def effective_amounts(*, original):
    """The latest counted replacement state (or the original) plus every counted reversal."""
    return chain_of(original=original).effective


def effective_totals(*, originals):
    """{original id: effective total} from stored document totals, in one query for any number of
    originals: what each original's debt is."""
    totals = {original.pk: original.amount_total for original in originals}
    reversals = dict.fromkeys(totals, ZERO)
    counted = (
        Document.objects.filter(original_id__in=totals, status__in=POSTED_STATUSES)
        .order_by("original_id", "correction_index")
        .values_list("original_id", "is_reversal", "amount_total")
    )
    for original_id, is_reversal, amount_total in counted:
        if is_reversal:
            reversals[original_id] += amount_total
        else:
            totals[original_id] = amount_total  # the latest replacement wins
    return {pk: total + reversals[pk] for pk, total in totals.items()}


def effective_total(*, original):
    return effective_totals(originals=[original])[original.pk]


# ----------------------------------------------------------------------------- lines before and after
@dataclass
class LineChange:
    """One line of a replacement correction against the previous state (SPEC 5 "Lines before and after"):
    `before` is the replaced line (None: added), `after` the correction's line (None: removed)."""

    before: DocumentLine | None
    after: DocumentLine | None

    @property
    def status(self):
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "changed" if self.signature(self.before) != self.signature(self.after) else "unchanged"

    @staticmethod
    def signature(line):
        return (line.quantity, line.unit_price, line.discount, sorted(t.pk for t in line.taxes.all()),
                line.amount_untaxed, line.amount_tax)  # fmt: skip

    @property
    def line(self):
        return self.after or self.before

    def _value(self, line, name):
        return getattr(line, name) if line is not None else ZERO

    def difference(self, name):
        """after − before of a figure (quantity, amount_untaxed, amount_tax, amount_total)."""
        return self._value(self.after, name) - self._value(self.before, name)

    @property
    def quantity_difference(self):
        return self.difference("quantity")

    @property
    def untaxed_difference(self):
        return self.difference("amount_untaxed")

    @property
    def tax_difference(self):
        return self.difference("amount_tax")

    @property
    def total_difference(self):
        return self.difference("amount_total")

    @staticmethod
    def tax_names(line):
        return ", ".join(t.name for t in line.taxes.all()) if line is not None else ""


def line_changes(*, correction, chain=None):
    """Per line, the previous state's line and the correction's line, from `DocumentLine.replaces`; previous
    lines no line replaces come last, as removed. Empty for reversals (their lines are the change itself)
    and canceled corrections. Reads the two documents' lines unless they are loaded (the card has the
    correction's)."""
    chain = chain or chain_of(original=correction.original)
    row = chain.row_for(correction)
    if row is None or row.is_reversal or row.previous is None:
        return []
    load_lines([row.previous, correction])
    previous = {line.pk: line for line in row.previous.lines.all()}
    changes, replaced = [], set()
    for line in correction.lines.all():
        before = previous.get(line.replaces_id)
        if before is not None:
            replaced.add(before.pk)
        changes.append(LineChange(before=before, after=line))
    changes += [LineChange(before=line, after=None) for pk, line in previous.items() if pk not in replaced]
    return changes
