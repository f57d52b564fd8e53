// Fill in what settles the document: the balance due for a payment, the open credit for a refund.
document.getElementById("fill-amount").addEventListener("click", function () {
  const form = document.getElementById("payment-form");
  const kind = form.querySelector("[name=kind]").value;
  const due = form.dataset.balanceDue, credit = form.dataset.openCredit;
  form.querySelector("[name=amount]").value = (kind === "refund") ? credit : (parseFloat(due) > 0 ? due : "0");
});
