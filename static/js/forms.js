// Behaviour of the portal's edit forms.
// - Formsets (rows saved with their record): "Add" copies the formset's empty form from its
//   <template>, numbered after the last row; a row's "Remove" box folds the row away (the
//   row is deleted when the form is saved; untick the box to keep it).
// - A form shown again with errors moves the focus to its summary of what went wrong.
(function () {
  "use strict";

  function renumber(formset) {
    var rows = formset.querySelectorAll("[data-formset-rows] > [data-formset-row]");
    Array.prototype.forEach.call(rows, function (row, n) {
      var number = row.querySelector("[data-row-number]");
      if (number) { number.textContent = String(n + 1); }
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-formset-add]") : null;
    if (!button) { return; }
    var formset = button.closest("[data-formset]");
    var total = formset.querySelector('input[name$="-TOTAL_FORMS"]');
    var max = formset.querySelector('input[name$="-MAX_NUM_FORMS"]');
    var index = parseInt(total.value, 10);
    if (max && index >= parseInt(max.value, 10)) { return; }
    var template = formset.querySelector("template[data-formset-empty]");
    var rows = formset.querySelector("[data-formset-rows]");
    // Parse the copy in a container of the rows' own kind: a <tr> only survives in a table.
    var holder = rows.tagName === "TBODY" ? document.createElement("tbody") : document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
    var row = holder.querySelector("[data-formset-row]");
    rows.appendChild(row);
    total.value = String(index + 1);
    renumber(formset);
    Array.prototype.forEach.call(formset.querySelectorAll("[data-formset-table]"), function (el) {
      el.hidden = false;
    });
    Array.prototype.forEach.call(formset.querySelectorAll("[data-formset-none]"), function (el) {
      el.hidden = true;
    });
    if (window.htmx) { window.htmx.process(row); }
    var first = row.querySelector("input:not([type=hidden]):not([type=checkbox]), select, textarea");
    if (first) { first.focus(); }
  });

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches('[data-formset-row] input[type=checkbox][name$="-DELETE"]')) {
      return;
    }
    box.closest("[data-formset-row]").classList.toggle("removed", box.checked);
  });

  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
  });
})();
