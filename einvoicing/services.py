"""Documents that leave the system (SPEC 11): the PDF (Factur-X where we issue it), the Peppol UBL and
the email that sends them. Every format is written from one `EInvoice` (einvoicing.data)."""

import facturx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from einvoicing import cii, ubl
from einvoicing.data import einvoice_data, issued_refusal, missing_fields
from einvoicing.models import DocumentSending
from einvoicing.pdf import render_pdf
from invoicing.models import POSTED_STATUSES


def file_name(document, extension):
    number = document.number.replace("/", "-") if document.number else f"draft-{document.pk}"
    return f"{document.type_label.lower().replace(' ', '-')}-{number}.{extension}"


def facturx_data(document):
    """The e-invoice data a document's PDF embeds, or None: only posted documents we issue whose parties have
    what EN 16931 requires (their PDF is plain otherwise, still with every printed field)."""
    if issued_refusal(document):
        return None
    try:
        data = einvoice_data(document=document)
    except ValidationError:
        return None
    return None if missing_fields(data, peppol=False) else data


def document_pdf(*, document):
    """PDF bytes of any document; for a posted invoice, invoice correction or credit note a Factur-X PDF/A-3
    with its EN 16931 CII embedded as factur-x.xml."""
    data = facturx_data(document)
    if data is None:
        return render_pdf(document=document)
    pdf = render_pdf(document=document, pdf_variant="pdf/a-3b")
    metadata = {
        "author": data.seller.legal_name,
        "keywords": "Factur-X, Invoice",
        "title": f"{data.seller.legal_name}: {document.type_label} {document.number}",
        "subject": f"{document.type_label} {document.number} dated {document.date:%Y-%m-%d} issued by "
        f"{data.seller.legal_name}",
    }
    return facturx.generate_from_binary(
        pdf, cii_xml_of(data), flavor="factur-x", level="en16931", check_xsd=True, pdf_metadata=metadata, lang="en"
    )


def cii_xml_of(data):
    return cii.cii_xml(data)


def document_ubl(*, document):
    """Peppol BIS Billing 3.0 UBL bytes; refused (ValidationError naming what to fill in) when data Peppol
    needs is missing, so no invalid file ever leaves."""
    data = einvoice_data(document=document)
    missing = missing_fields(data, peppol=True)
    if missing:
        raise ValidationError(f"Fill in before exporting for Peppol — {'; '.join(missing)}.")
    return ubl.ubl_xml(data)


def send_refusal(document, to):
    if not document.is_issued_by_us:
        return f"{document.type_label}s record a vendor's document; only documents we issue are sent."
    if document.status not in POSTED_STATUSES:
        return f"Only a posted document is sent; this one is {document.get_status_display()}."
    if not to:
        return f"“{document.partner}” has no email address: fill it in on the partner first."
    return None


def document_send(*, document, user, to=None):
    """Email the PDF (and the UBL when the partner has a Peppol endpoint) to the partner; record who sent
    what to whom and when. A failure is a ValidationError and nothing is recorded."""
    if user is not None and not user.has_perm(f"invoicing.change_{document.kind}"):
        raise ValidationError("You do not have permission to send documents.")
    to = (to or document.partner.email or "").strip()
    message = send_refusal(document, to)
    if message:
        raise ValidationError(message)
    try:
        validate_email(to)
    except ValidationError:
        raise ValidationError(f"“{to[:80]}” is not an email address; correct it and send again.") from None
    attachments = [(file_name(document, "pdf"), document_pdf(document=document), "application/pdf")]
    if document.partner.has_peppol_endpoint:
        attachments.append((file_name(document, "xml"), document_ubl(document=document), "application/xml"))
    company = document.company
    email = EmailMessage(
        subject=f"{document.type_label} {document.number} from {company.display_legal_name}",
        body=(
            f"Dear {document.partner},\n\nplease find attached {document.type_label.lower()} {document.number} "
            f"of {document.date:%Y-%m-%d}.\n\n{company.display_legal_name}"
        ),
        from_email=company.email or settings.DEFAULT_FROM_EMAIL,
        to=[to],
        attachments=attachments,
    )
    with transaction.atomic():
        sending = DocumentSending.objects.create(
            document=document, user=user, at=timezone.now(), to=to, attachments=", ".join(a[0] for a in attachments)
        )
        try:
            email.send(fail_silently=False)
        except Exception as error:  # any transport failure: say so, record nothing (the row rolls back)
            raise ValidationError(f"The email to {to} could not be sent ({error.__class__.__name__}: {error}).")
    return sending
