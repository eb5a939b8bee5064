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
