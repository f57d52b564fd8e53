"""What `check_balances` should find in `credit_applied`, recomputed from the returns themselves.

Only `credit_applied` is given: the debt total belongs to the core and the corrections app, so
merging per key lets each app state what it owns.
"""

from invoicing.amounts import ZERO
from invoicing.models import POSTED_STATUSES
from returns import selectors


def expected_balances(*, documents):
    """A source's credit applied is the sum of the credit its non-canceled posted returns applied; a
    return keeps the credit it applied while posted and none once canceled or back to draft."""
    documents = list(documents)
    received = selectors.credit_received(document_ids=[d.pk for d in documents if not d.type.is_return])
    expected = {}
    for document in documents:
        if selectors.is_return_document(document):
            credit = document.credit_applied if document.status in POSTED_STATUSES else ZERO
            expected[document.pk] = {"credit_applied": credit}
        elif document.pk in received or document.credit_applied:
            expected[document.pk] = {"credit_applied": received.get(document.pk, ZERO)}
    return expected
