// Fill in what settles the document: the balance due for a payment, the open credit for a refund.
// The button is rendered hidden and shown only once it works, so it is never clicked before this script ran.
(function () {
  const button = document.getElementById("fill-amount");
  if (!button) return;
  button.addEventListener("click", function () {
    const form = document.getElementById("payment-form");
    const kind = form.querySelector("[name=kind]").value;
    const due = form.dataset.balanceDue, credit = form.dataset.openCredit;
    form.querySelector("[name=amount]").value = (kind === "refund") ? credit : (parseFloat(due) > 0 ? due : "0");
  });
  button.hidden = false;
})();
