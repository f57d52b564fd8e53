// Draft lines: prefill a line from its item, and preview line and document amounts while typing.
// A preview only: the server computes and stores the amounts when the draft is saved.
(function () {
  const data = JSON.parse(document.getElementById("line-preview-data").textContent);
  const form = document.querySelector("form[id$=_form]");
  if (!form) return;

  // Half-up rounding to the currency's minor unit, on integers of that unit to avoid float drift.
  function roundMoney(value, unit) {
    const scaled = value / unit;
    return (Math.sign(scaled) * Math.round(Math.abs(scaled) + 1e-9)) * unit;
  }
  function number(input) { const v = parseFloat(input && input.value); return isNaN(v) ? 0 : v; }
  function currencyUnit() {
    const select = form.querySelector("[name=currency]");
    return parseFloat(data.minor_units[select ? select.value : "USD"] || "0.01");
  }
  function pricesIncludeTax() {
    const select = form.querySelector("[name=type]");
    const option = select && select.selectedOptions[0];
    return option && option.dataset.pricesIncludeTax === "1";
  }
  function rows() {
    return Array.from(form.querySelectorAll("tr.form-row")).filter((row) => !row.id.endsWith("-empty"));
  }
  function field(row, name) { return row.querySelector(`[name$="-${name}"]`); }

  function lineAmounts(row, unit, include) {
    const deleted = field(row, "DELETE");
    if (deleted && deleted.checked) return null;
    const amount = roundMoney(number(field(row, "quantity")) * number(field(row, "unit_price")) * (1 - number(field(row, "discount")) / 100), unit);
    const taxes = Array.from(field(row, "taxes").selectedOptions).map((o) => parseFloat(data.rates[o.value] || "0"));
    if (!include) {
      const tax = taxes.reduce((sum, rate) => sum + roundMoney(amount * rate / 100, unit), 0);
      return { untaxed: amount, tax: tax };
    }
    const untaxed = roundMoney(amount * 100 / (100 + taxes.reduce((a, b) => a + b, 0)), unit);
    return { untaxed: untaxed, tax: amount - untaxed };
  }

  function refresh() {
    const unit = currencyUnit(), include = pricesIncludeTax();
    const digits = Math.max(0, Math.round(-Math.log10(unit)));
    const currency = (form.querySelector("[name=currency]") || {}).value || "";
    let untaxed = 0, tax = 0;
    rows().forEach((row) => {
      if (!field(row, "quantity")) return;
      const amounts = lineAmounts(row, unit, include);
      const cell = row.querySelector("td.field-line_total p, td.field-line_total");
      if (amounts) { untaxed += amounts.untaxed; tax += amounts.tax; }
      if (cell) cell.textContent = amounts ? (amounts.untaxed + amounts.tax).toFixed(digits) : "—";
    });
    const show = (id, value) => { const el = document.getElementById(id); if (el) el.textContent = `${value.toFixed(digits)} ${currency}`; };
    show("total-untaxed", untaxed); show("total-tax", tax); show("total-total", untaxed + tax);
  }

  form.addEventListener("change", function (event) {
    const target = event.target;
    if (target.name && target.name.endsWith("-item") && data.items[target.value]) {
      const row = target.closest("tr"), item = data.items[target.value];
      const description = field(row, "description");
      if (!description.value) description.value = item.description;
      field(row, "unit_price").value = item.price;
      Array.from(field(row, "taxes").options).forEach((o) => { o.selected = item.taxes.includes(parseInt(o.value, 10)); });
    }
    refresh();
  });
  form.addEventListener("input", refresh);
  document.addEventListener("formset:added", refresh);
  if (form.querySelector(".errorlist, .errornote")) refresh();
})();
