// Autocomplete boxes (cooperation/autocomplete.py). htmx asks the server for suggestions as
// the user types; this file turns them into a listbox usable by keyboard (arrows, Enter,
// Escape) and mouse, and keeps the chosen keys in hidden inputs. Listeners are delegated
// from the document, so boxes in formset rows added later work without set-up.
(function () {
  "use strict";

  function boxOf(element) {
    return element && element.closest ? element.closest("[data-autocomplete]") : null;
  }
  function textOf(box) { return box.querySelector("[data-autocomplete-input]"); }
  function listOf(box) { return box.querySelector("[data-autocomplete-options]"); }
  function optionsOf(box) {
    return Array.prototype.slice.call(
      listOf(box).querySelectorAll('[role="option"]:not([aria-disabled="true"])'));
  }
  function announce(box, message) {
    var status = box.querySelector("[data-autocomplete-status]");
    if (status) { status.textContent = message; }
  }
  function isOpen(box) { return !listOf(box).hidden; }

  function open(box) {
    var list = listOf(box);
    if (!list.children.length) { return; }
    list.hidden = false;
    textOf(box).setAttribute("aria-expanded", "true");
  }
  function close(box) {
    listOf(box).hidden = true;
    var text = textOf(box);
    text.setAttribute("aria-expanded", "false");
    text.removeAttribute("aria-activedescendant");
  }
  function activeIndex(box) {
    var options = optionsOf(box);
    for (var i = 0; i < options.length; i++) {
      if (options[i].getAttribute("aria-selected") === "true") { return i; }
    }
    return -1;
  }
  function activate(box, index) {
    var options = optionsOf(box);
    options.forEach(function (option, n) {
      option.setAttribute("aria-selected", n === index ? "true" : "false");
    });
    var option = options[index];
    if (option) {
      textOf(box).setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    }
  }

  function addChip(box, value, label) {
    var chosen = box.querySelector("[data-autocomplete-chosen]");
    var present = Array.prototype.some.call(chosen.querySelectorAll("input"), function (input) {
      return input.value === value;
    });
    if (present) { announce(box, label + " is already chosen."); return; }
    var item = document.createElement("li");
    var name = document.createElement("span");
    name.textContent = label;
    var hidden = document.createElement("input");
    hidden.type = "hidden";
    hidden.name = box.getAttribute("data-name");
    hidden.value = value;
    var remove = document.createElement("button");
    remove.type = "button";
    remove.className = "chip-remove";
    remove.setAttribute("data-autocomplete-remove", "");
    remove.setAttribute("aria-label", "Remove " + label);
    remove.textContent = "×";
    item.append(name, hidden, remove);
    chosen.append(item);
    announce(box, label + " added.");
  }

  function choose(box, option) {
    var text = textOf(box);
    var value = option.getAttribute("data-value");
    var label = option.getAttribute("data-label");
    if (box.hasAttribute("data-multiple")) {
      addChip(box, value, label);
      text.value = "";
    } else {
      box.querySelector("[data-autocomplete-value]").value = value;
      text.value = label;
      text.setAttribute("data-label", label);
      announce(box, label + " chosen.");
    }
    close(box);
    if (window.htmx) { window.htmx.trigger(text, "htmx:abort"); }
    text.dispatchEvent(new Event("change", { bubbles: true }));
  }

  // What was typed goes to the server as ?q=, whatever the box is called in the form.
  document.addEventListener("htmx:configRequest", function (event) {
    var text = event.detail.elt;
    if (text.matches && text.matches("[data-autocomplete-input]")) {
      event.detail.parameters.q = text.value;
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var list = event.detail.target;
    if (!list.matches || !list.matches("[data-autocomplete-options]")) { return; }
    var box = boxOf(list);
    var options = optionsOf(box);
    Array.prototype.forEach.call(list.children, function (option, n) {
      option.id = list.id + "-" + n;
    });
    if (document.activeElement !== textOf(box)) { close(box); return; }
    open(box);
    activate(box, -1);
    announce(box, options.length === 0 ? "No suggestion." :
      options.length + (options.length === 1 ? " suggestion" : " suggestions") +
      ": use the up and down arrows, then Enter.");
  });

  document.addEventListener("input", function (event) {
    var box = boxOf(event.target);
    if (!box || !event.target.matches("[data-autocomplete-input]")) { return; }
    // Typing over a chosen record un-chooses it until another is picked.
    if (!box.hasAttribute("data-multiple")) {
      var hidden = box.querySelector("[data-autocomplete-value]");
      if (event.target.value !== event.target.getAttribute("data-label")) { hidden.value = ""; }
    }
  });

  document.addEventListener("keydown", function (event) {
    var text = event.target;
    if (!text.matches || !text.matches("[data-autocomplete-input]")) { return; }
    var box = boxOf(text);
    var count = optionsOf(box).length;
    var index = activeIndex(box);
    switch (event.key) {
      case "ArrowDown":
        event.preventDefault();
        if (!isOpen(box)) {
          if (listOf(box).children.length) { open(box); } else if (window.htmx) {
            window.htmx.trigger(text, "autocomplete:open");
          }
          return;
        }
        if (count) { activate(box, (index + 1) % count); }
        break;
      case "ArrowUp":
        if (!isOpen(box)) { return; }
        event.preventDefault();
        if (count) { activate(box, index <= 0 ? count - 1 : index - 1); }
        break;
      case "Enter":
        if (isOpen(box) && index >= 0) {
          event.preventDefault();  // choosing, not submitting the form
          choose(box, optionsOf(box)[index]);
        }
        break;
      case "Escape":
        if (isOpen(box)) { event.preventDefault(); close(box); }
        break;
      default:
        break;
    }
  });

  // Keep the focus in the box while an option is clicked, then choose it.
  document.addEventListener("mousedown", function (event) {
    if (event.target.closest && event.target.closest("[data-autocomplete-options] [role=option]")) {
      event.preventDefault();
    }
  });
  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target : null;
    if (!target) { return; }
    var option = target.closest("[data-autocomplete-options] [role=option]");
    if (option && option.getAttribute("aria-disabled") !== "true") {
      choose(boxOf(option), option);
      return;
    }
    var remove = target.closest("[data-autocomplete-remove]");
    if (remove) {
      var box = boxOf(remove);
      var label = remove.parentNode.querySelector("span").textContent;
      remove.parentNode.remove();
      textOf(box).focus();
      announce(box, label + " removed.");
      textOf(box).dispatchEvent(new Event("change", { bubbles: true }));
    }
  });

  // Leaving the box closes its list; a single box shows its chosen record's name again.
  document.addEventListener("focusout", function (event) {
    var box = boxOf(event.target);
    if (!box) { return; }
    window.setTimeout(function () {
      if (box.contains(document.activeElement)) { return; }
      close(box);
      if (!box.hasAttribute("data-multiple")) {
        var text = textOf(box);
        var hidden = box.querySelector("[data-autocomplete-value]");
        if (hidden.value && text.value !== text.getAttribute("data-label")) {
          text.value = text.getAttribute("data-label");
        }
      }
    }, 0);
  });
})();
