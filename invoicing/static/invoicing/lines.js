// Draft lines: add a line, prefill a line from its item, and preview line and document amounts while typing.
// A preview only: the server parses, checks, computes and stores the amounts when the draft is saved.
(function () {
  const data = JSON.parse(document.getElementById("line-preview-data").textContent);
  const form = document.querySelector("form[id$=_form]");
  if (!form) return;
  const body = document.querySelector("#lines-editor tbody");

  // Half-up rounding to the currency's minor unit, on integers of that unit to avoid float drift.
  function roundMoney(value, unit) {
    const scaled = value / unit;
    return (Math.sign(scaled) * Math.round(Math.abs(scaled) + 1e-9)) * unit;
  }
  // "12,50" and "12.50" both read as 12.5, as the server reads them.
  function number(input) {
    if (!input) return 0;
    const text = input.value.trim().replace(/\s/g, "");
    const normalised = /,\d{1,2}$/.test(text) || !text.includes(".") ? text.replace(/\./g, "").replace(",", ".") : text.replace(/,/g, "");
    const v = parseFloat(normalised);
    return isNaN(v) ? 0 : v;
  }
  function currencyUnit() {
    const select = form.querySelector("[name=currency]");
    return parseFloat(data.minor_units[select ? select.value : "USD"] || "0.01");
  }
  function pricesIncludeTax() {
    const select = form.querySelector("[name=type]");
    const option = select && select.selectedOptions[0];
    return option && option.dataset.pricesIncludeTax === "1";
  }
  function rows() { return Array.from(body.querySelectorAll("tr.line-row")); }
  function field(row, name) { return row.querySelector(`[name$="-${name}"]`); }
  function taxBoxes(row) { return Array.from(row.querySelectorAll(`input[name$="-taxes"]`)); }

  function lineAmounts(row, unit, include) {
    const deleted = field(row, "DELETE");
    if (deleted && deleted.checked) return null;
    const quantity = field(row, "quantity");
    const amount = roundMoney((quantity && quantity.value === "" ? 1 : number(quantity)) * number(field(row, "unit_price")) * (1 - number(field(row, "discount")) / 100), unit);
    const rates = taxBoxes(row).filter((box) => box.checked).map((box) => parseFloat(data.rates[box.value] || "0"));
    if (!include) {
      const tax = rates.reduce((sum, rate) => sum + roundMoney(amount * rate / 100, unit), 0);
      return { untaxed: amount, tax: tax };
    }
    const untaxed = roundMoney(amount * 100 / (100 + rates.reduce((a, b) => a + b, 0)), unit);
    return { untaxed: untaxed, tax: amount - untaxed };
  }

  function refresh() {
    const unit = currencyUnit(), include = pricesIncludeTax();
    const digits = Math.max(0, Math.round(-Math.log10(unit)));
    const currency = (form.querySelector("[name=currency]") || {}).value || "";
    let untaxed = 0, tax = 0;
    rows().forEach((row) => {
      const amounts = lineAmounts(row, unit, include);
      const cell = row.querySelector("td.line-total");
      if (amounts) { untaxed += amounts.untaxed; tax += amounts.tax; }
      if (cell) cell.textContent = amounts ? (amounts.untaxed + amounts.tax).toFixed(digits) : "—";
    });
    const show = (id, value) => { const el = document.getElementById(id); if (el) el.textContent = `${value.toFixed(digits)} ${currency}`; };
    show("total-untaxed", untaxed); show("total-tax", tax); show("total-total", untaxed + tax);
  }

  document.getElementById("add-line").addEventListener("click", function () {
    const total = form.querySelector("[name=lines-TOTAL_FORMS]");
    const index = parseInt(total.value, 10);
    const html = document.getElementById("line-template").innerHTML.replace(/__prefix__/g, String(index));
    body.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    const added = rows()[rows().length - 1];
    field(added, "item").focus();
    refresh();
  });

  form.addEventListener("change", function (event) {
    const target = event.target;
    if (target.name && target.name.endsWith("-item") && data.items[target.value]) {
      const row = target.closest("tr"), item = data.items[target.value];
      const description = field(row, "description");
      if (!description.value) description.value = item.description;
      field(row, "unit_price").value = item.price;
      taxBoxes(row).forEach((box) => { box.checked = item.taxes.includes(parseInt(box.value, 10)); });
    }
    refresh();
  });
  form.addEventListener("input", refresh);
  refresh();
  // Rendered hidden, shown once they work; without JavaScript the help says what saving does instead.
  document.getElementById("add-line").hidden = false;
  document.querySelectorAll(".preview-note").forEach((note) => { note.hidden = false; });
  document.getElementById("add-line-help").hidden = true;
})();
