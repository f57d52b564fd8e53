"""The Return action's page: GET asks for confirmation, POST creates the draft through the service."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods

from invoicing.models import Document, DocumentLine
from returns import selectors
from returns.rules import qty
from returns.services import add_permission, return_create, return_label, return_refusal


@require_http_methods(["GET", "POST"])
def create_return(request, pk):
    document = get_object_or_404(Document.objects.select_related("type__return_type", "partner", "company"), pk=pk)
    if not request.user.has_perm(add_permission(document.kind)):
        raise PermissionDenied
    label = return_label(document.kind)
    if request.method == "POST":
        try:
            created = return_create(document=document, user=request.user)
        except ValidationError as error:
            messages.error(request, f"No {label} was created: {' '.join(error.messages)}")
            return HttpResponseRedirect(document.get_absolute_url())
        messages.success(
            request,
            f"Draft {label} created from {document}. Lower the quantities to what comes back, remove the lines "
            "that do not, then post it.",
        )
        return HttpResponseRedirect(created.get_absolute_url())

    lines = list(DocumentLine.objects.filter(document=document).select_related("item"))
    returned = selectors.line_return_rows(lines=lines)
    rows = [
        {"line": line, "sold": qty(sold), "returned": qty(done), "remaining": qty(left), "included": left > 0}
        for line in lines
        for sold, done, left in [returned[line.pk]]
    ]
    context = {
        **admin.site.each_context(request),
        "title": f"Return: {document}",
        "document": document,
        "label": label,
        "refusal": return_refusal(document)
        or (None if any(r["included"] for r in rows) else "Nothing is left to return."),
        "rows": rows,
    }
    return TemplateResponse(request, "returns/confirm_return.html", context)
