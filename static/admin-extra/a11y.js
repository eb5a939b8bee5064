// Names for the controls Django's admin scripts draw without one (axe-core, WCAG 4.1.2): the
// autocomplete's combobox takes its field's label, and the filter boxes' search icons, which
// carry an aria-label, become images so that the label is allowed. Run once those scripts have
// drawn their controls (on load), again when an inline row is added, and after each choice.
"use strict";
(function () {
  function labelText(id) {
    const label = id && document.querySelector('label[for="' + id + '"]');
    return label ? label.textContent.replace(/:\s*$/, "").trim() : "";
  }
  function name() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      const box = select.nextElementSibling;
      const combo = box && box.querySelector(".select2-selection");
      const text = labelText(select.id);
      if (!combo || !text) return;
      combo.setAttribute("aria-label", text);
      // The single select's shown value and the multiple select's search box, both redrawn
      // by select2 on every choice.
      box.querySelectorAll(".select2-selection__rendered[role], .select2-search__field")
        .forEach(function (part) { part.setAttribute("aria-label", text); });
    });
    document.querySelectorAll(".help-tooltip[aria-label]:not([role])").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
    // A multiple choice's list holds only its items: select2 puts its "clear" cross inside it.
    document.querySelectorAll("ul.select2-selection__rendered").forEach(function (list) {
      const selection = list.parentElement;
      selection.querySelectorAll(":scope > .select2-selection__clear").forEach(function (old) {
        old.remove();
      });
      list.querySelectorAll(":scope > :not(li)").forEach(function (extra) { list.after(extra); });
    });
    // A tabular inline's controls sit under column headings, not beside labels: each takes its
    // column's heading and its row's number ("Role, row 2"; "Expires at, row 2: date").
    document.querySelectorAll(".tabular table").forEach(function (table) {
      const headings = {};
      table.querySelectorAll("thead th[class*='column-']").forEach(function (th) {
        const column = Array.from(th.classList).find(function (c) { return c.startsWith("column-"); });
        headings[column.slice(7)] = th.textContent.replace(/\s+/g, " ").trim();
      });
      table.querySelectorAll("tbody tr.form-row").forEach(function (row, index) {
        row.querySelectorAll("td").forEach(function (cell) {
          const field = Array.from(cell.classList).find(function (c) { return c.startsWith("field-"); });
          const heading = cell.classList.contains("delete") ? "Delete" : field && headings[field.slice(6)];
          if (!heading) return;
          cell.querySelectorAll("input:not([type=hidden]), select, textarea").forEach(function (control) {
            if (control.getAttribute("aria-label") || labelText(control.id)) return;
            const part = /_0$/.test(control.name) ? ": date" : /_1$/.test(control.name) ? ": time" : "";
            control.setAttribute("aria-label", heading + ", row " + (index + 1) + part);
          });
        });
      });
    });
  }
  window.addEventListener("load", function () { window.setTimeout(name, 0); });
  document.addEventListener("formset:added", function () { window.setTimeout(name, 0); });
  // select2 tells of a choice through jQuery's events, which native listeners do not hear.
  if (window.django && window.django.jQuery) {
    window.django.jQuery(document).on(
      "select2:select select2:unselect", "select.admin-autocomplete",
      function () { window.setTimeout(name, 0); }
    );
  }
})();
