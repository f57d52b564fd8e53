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


def run_at_once(actions):
    """Run each callable from its own thread, all released together; [result or the error's first message]."""
    start = threading.Barrier(len(actions))
    outcomes = [None] * len(actions)

    def run(index, action):
        try:
            start.wait()
            outcomes[index] = action()
        except ValidationError as error:
            outcomes[index] = error.messages[0]
        except Exception as error:  # a deadlock or any database error: the test shows it
            outcomes[index] = f"{type(error).__name__}: {error}"
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, action)) for index, action in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes
