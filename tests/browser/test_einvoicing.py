"""An accountant downloads the PDF of a credit note from its card, in a real Chromium."""

from pypdf import PdfReader

from invoicing.models import Document, Kind, Status
from tests.browser.conftest import login


def test_accountant_downloads_the_pdf_of_a_credit_note_from_its_card(page):
    credit_note = Document.objects.filter(kind=Kind.BILL, type__is_return=True, status=Status.PAID).first()
    login(page, "accountant")
    page.goto(credit_note.get_absolute_url())
    page.wait_for_selector(".card-actions")
    with page.expect_download() as download_info:
        page.click(".card-actions >> text=PDF")
    download = download_info.value
    assert download.suggested_filename == f"credit-note-{credit_note.number.replace('/', '-')}.pdf"
    reader = PdfReader(download.path())
    assert "factur-x.xml" in reader.attachments
    assert credit_note.number in reader.pages[0].extract_text()
