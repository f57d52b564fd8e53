"""The einvoicing app's one object in the core: PDF, XML (Peppol) and Send buttons, sendings in the history."""

from django.db.models import CharField, Exists, F, OuterRef, Value
from django.db.models.functions import Concat
from django.urls import reverse

from einvoicing.models import DocumentSending
from invoicing import registry
from invoicing.models import POSTED_STATUSES


class EinvoicingExtension(registry.DocumentExtension):
    name = "einvoicing"

    def card_actions(self, document, ctx):
        actions = [registry.CardAction("pdf", "PDF", reverse("einvoicing:pdf", args=[document.pk]), order=90)]
        if document.is_issued_by_us and document.status in POSTED_STATUSES:
            actions.append(
                registry.CardAction("ubl", "XML (Peppol)", reverse("einvoicing:ubl", args=[document.pk]), order=91)
            )
            if ctx.user is not None and ctx.user.has_perm(f"invoicing.change_{document.kind}"):
                url = reverse("einvoicing:send", args=[document.pk])
                actions.append(registry.CardAction("send", "Send by email", url, order=92))
        return actions

    def card_exists(self):
        return {"sendings": Exists(DocumentSending.objects.filter(document=OuterRef("pk")))}

    def history_rows(self, document, ctx):
        if not ctx.may_have("sendings", document):  # never sent: the status changes are read alone
            return None
        # Same columns as the core's status changes (source and target None), so both are read in one query.
        none = Value(None, output_field=CharField())
        detail = Concat(Value("To "), F("to"), Value(": "), F("attachments"), output_field=CharField())
        return DocumentSending.objects.filter(document=document).values_list(
            "at", "user__username", Value("Sent by email", output_field=CharField()), none, none, detail
        )
