"""Two users acting at the same moment, for the PostgreSQL row-lock tests."""

import threading

from django.core.exceptions import ValidationError
from django.db import connection

from invoicing import services
from invoicing.models import Document


def post_at_once(documents, user):
    """Post every document from its own thread, all released together; {pk: "posted" or the message}."""
    start = threading.Barrier(len(documents))
    outcomes = {}

    def post(document):
        try:
            start.wait()
            services.document_post(document=Document.objects.get(pk=document.pk), user=user)
            outcomes[document.pk] = "posted"
        except ValidationError as error:
            outcomes[document.pk] = error.messages[0]
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(document,)) for document in documents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes
