// Tabs of the document card: one pane at a time, chosen by the URL's #tab-… (all panes show without JS).
(function () {
  const tabs = document.querySelectorAll(".card-tabs a");
  const panes = document.querySelectorAll(".card-pane");
  if (!tabs.length) return;
  function show(id) {
    if (!document.getElementById(id)) id = panes[0].id;
    panes.forEach((pane) => { pane.hidden = pane.id !== id; });
    tabs.forEach((tab) => { tab.classList.toggle("active", tab.getAttribute("href") === "#" + id); });
  }
  tabs.forEach((tab) => tab.addEventListener("click", function (event) {
    event.preventDefault();
    history.replaceState(null, "", tab.getAttribute("href"));
    show(tab.getAttribute("href").slice(1));
  }));
  show(location.hash.slice(1));
})();
