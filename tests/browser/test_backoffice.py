"""An accountant and a reviewer click through the back office in a real Chromium."""

from decimal import Decimal

from django.urls import reverse
from playwright.sync_api import expect

from invoicing.models import Document, Item, Kind, Status
from tests.browser.conftest import login, screenshot


def test_accountant_creates_posts_and_pays_an_invoice(page):
    login(page, "accountant")
    page.locator('a:text-is("Invoices")').first.click()
    page.wait_for_selector("#result_list")
    screenshot(page, "invoice-list")

    page.click(".object-tools a.addlink")
    page.select_option("#id_type", label="Invoice")
    page.select_option("#id_partner", label="Northwind Traders")
    page.select_option("#id_company", label="Ledgerline Demo Ltd")
    for n, (description, quantity, price) in enumerate([("Standing desk", "2", "420.00"), ("Setup", "1", "80.00")]):
        page.fill(f"#id_lines-{n}-description", description)
        page.fill(f"#id_lines-{n}-quantity", quantity)
        page.fill(f"#id_lines-{n}-unit_price", price)
        page.locator(f"tr:has(#id_lines-{n}-description) label:has-text('VAT 20%') input").check()
    # The live preview, before saving; expect() waits for lines.js, which may still be loading.
    expect(page.locator("#total-total")).to_have_text("1104.00 USD")
    page.click("input[name=_continue]")
    page.wait_for_selector(".card-actions")
    invoice = Document.objects.filter(kind=Kind.INVOICE).latest("pk")
    assert invoice.amount_total == Decimal("1104.00")
    screenshot(page, "invoice-draft-card")

    page.click("#transition-post")  # one click: a posted document can still be reset while nothing depends on it
    page.wait_for_selector(".messagelist")
    invoice.refresh_from_db()
    assert invoice.status == Status.TO_PAY and invoice.number.startswith("INV/")
    assert "To pay" in page.inner_text(".card-header")

    page.click("text=Register payment / refund")
    page.select_option("#id_method", label="Bank transfer")
    page.fill("#id_amount", "")
    page.click("#fill-amount")
    assert page.input_value("#id_amount") == "1104.00"
    page.click("#register-payment")
    page.wait_for_selector(".messagelist")
    assert "Paid" in page.inner_text(".card-header")
    invoice.refresh_from_db()
    assert invoice.status == Status.PAID and invoice.balance_due == 0
    page.click(".card-tabs >> text=Payments")
    screenshot(page, "invoice-paid-card")


def test_reviewer_sees_documents_without_any_action_button(page):
    login(page, "reviewer")
    invoice = Document.objects.filter(kind=Kind.INVOICE, status=Status.TO_PAY).first()
    page.goto(invoice.get_absolute_url())
    page.wait_for_selector(".card-header")
    actions = page.locator(".card-actions a, .card-actions button").all_inner_texts()
    assert actions == ["PDF", "XML (Peppol)", "Print"], actions  # downloads that change nothing
    assert page.locator("input[name=_save]").count() == 0
    screenshot(page, "reviewer-card")


def test_add_a_line_then_choose_its_item_prefills_it_from_the_catalog(page):
    item = Item.objects.filter(default_taxes__name="VAT 20%").order_by("name").first()
    login(page, "accountant")
    page.goto("/invoicing/invoice/add/")
    rows = page.locator("#lines-editor tbody tr")
    before = rows.count()
    assert page.locator("#add-line-help").is_hidden()  # the no-script hint gives way to the button
    assert page.locator(".preview-note").is_visible()
    page.click("#add-line")  # waits until lines.js has shown the button, i.e. wired it
    assert rows.count() == before + 1
    assert page.evaluate("document.activeElement.id") == f"id_lines-{before}-item"
    assert page.input_value("#id_lines-TOTAL_FORMS") == str(before + 1)

    page.select_option(f"#id_lines-{before}-item", value=str(item.pk))
    assert page.input_value(f"#id_lines-{before}-description") == item.name
    assert page.input_value(f"#id_lines-{before}-unit_price") == str(item.default_price)
    new_row = f"tr:has(#id_lines-{before}-item)"
    assert page.locator(f"{new_row} label:has-text('VAT 20%') input").is_checked()
    assert not page.locator(f"{new_row} label:has-text('VAT 10%') input").is_checked()
    expect(page.locator("#total-total")).to_have_text(f"{item.default_price * Decimal('1.2'):.2f} USD")


def test_without_javascript_the_script_buttons_stay_hidden_and_the_hint_shows(browser, live_server, demo_data):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    login(page, "accountant")
    page.goto("/invoicing/invoice/add/")
    assert page.locator("#add-line").is_hidden()
    assert page.inner_text("#add-line-help") == "Save to compute the amounts and get a new empty line."
    assert page.locator(".preview-note").is_hidden()  # no amount updates as one types
    invoice = Document.objects.filter(kind=Kind.INVOICE, status=Status.TO_PAY).first()
    page.goto(reverse("admin:invoicing_invoice_payment", args=[invoice.pk]))
    assert page.locator("#fill-amount").is_hidden()
    assert page.locator("#register-payment").is_visible()  # the form itself needs no script
    context.close()
