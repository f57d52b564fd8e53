"""PDF of any document, rendered on the server by WeasyPrint from the print template (A4, `@page` CSS)."""

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import CSS, HTML

from invoicing.card import print_context


def render_pdf(*, document, pdf_variant=None):
    """PDF bytes of the print view; `pdf_variant="pdf/a-3b"` for the base of a Factur-X file."""
    html = render_to_string("invoicing/print.html", print_context(document=document, pdf=True))
    stylesheet = CSS(filename=finders.find("invoicing/print.css"))
    return HTML(string=html).write_pdf(stylesheets=[stylesheet], pdf_variant=pdf_variant)
