"""Thin views: download the PDF or the UBL (GET: they change nothing), send by email (confirm, then POST)."""

from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from einvoicing import services
from invoicing.models import Document


def _document(request, pk):
    document = get_object_or_404(Document.objects.select_related("type", "company", "partner", "original"), pk=pk)
    if not request.user.has_perm(f"invoicing.view_{document.kind}"):
        raise PermissionDenied
    return document


def _download(body, content_type, name):
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@staff_member_required
def pdf_view(request, pk):
    document = _document(request, pk)
    pdf = services.document_pdf(document=document)
    return _download(pdf, "application/pdf", services.file_name(document, "pdf"))


@staff_member_required
def ubl_view(request, pk):
    document = _document(request, pk)
    try:
        xml = services.document_ubl(document=document)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return HttpResponseRedirect(document.get_absolute_url())
    return _download(xml, "application/xml", services.file_name(document, "xml"))


@staff_member_required
def send_view(request, pk):
    document = _document(request, pk)
    if not request.user.has_perm(f"invoicing.change_{document.kind}"):
        raise PermissionDenied
    if request.method == "POST":
        try:
            sending = services.document_send(document=document, user=request.user, to=request.POST.get("to"))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{document} sent to {sending.to} ({sending.attachments}).")
        return HttpResponseRedirect(document.get_absolute_url() + "#tab-history")
    to = document.partner.email
    context = {
        **admin.site.each_context(request),
        "document": document,
        "to": to,
        "refusal": services.send_refusal(document, to),
        "with_ubl": document.partner.has_peppol_endpoint,
        "title": f"Send by email: {document}",
    }
    return TemplateResponse(request, "einvoicing/send.html", context)
