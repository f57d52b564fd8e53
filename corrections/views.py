"""Create Correction: a confirmation page (GET) that creates the draft correction (POST)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods

from corrections import selectors, services
from invoicing.models import Document, Kind


@require_http_methods(["GET", "POST"])
def create_correction(request, pk):
    document = get_object_or_404(Document.objects.select_related("type", "partner", "company", "original"), pk=pk)
    if not request.user.has_perm(f"invoicing.add_{document.kind}"):
        raise PermissionDenied
    if request.method == "POST":
        reversal = request.POST.get("mode") == "reversal"
        try:
            correction = services.correction_create(document=document, user=request.user, reversal=reversal)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return HttpResponseRedirect(document.get_absolute_url())
        what = "Reversal correction" if correction.is_reversal else "Correction"
        messages.success(
            request, f"{what} of {correction.original.display_number} created as a draft: edit its lines, then post it."
        )
        return HttpResponseRedirect(correction.get_absolute_url())
    original = document.original or document
    chain = selectors.chain_of(original=original)
    replacement = chain.replacement
    previous_state = (
        f"correction no. {replacement.correction_index}, {replacement.display_number}"
        if replacement.pk != original.pk
        else f"the original, {original.display_number}"
    )
    context = {
        **admin.site.each_context(request),
        "title": f"Create Correction: {document}",
        "document": document,
        "original": original,
        "effective_total": chain.effective.total,
        "previous_state": previous_state,
        "offers_reversal": document.kind == Kind.BILL,
        "kind_label": Kind(document.kind).label.lower(),
        "refusal": services.creation_refusal(document=document, user=request.user),
    }
    return TemplateResponse(request, "corrections/create.html", context)
