// Job status: poll the JSON endpoint until the job finishes, then reload to show the result.
(function () {
  var box = document.getElementById("job");
  if (!box || box.dataset.finished === "yes") return;
  var bar = document.getElementById("job-progress");
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        if (bar) bar.value = job.progress;
        if (job.status === "done" || job.status === "failed") { window.location.reload(); }
        else { setTimeout(poll, 1500); }
      })
      .catch(function () { setTimeout(poll, 5000); });
  }
  setTimeout(poll, 1000);
})();

// Phones: each cell of a `table-cards` list carries its column's name as data-label (shown by
// app.css above the value when rows become cards); templates may set it, else the header's text.
(function () {
  document.querySelectorAll("table.table-cards").forEach(function (table) {
    var heads = [];
    table.querySelectorAll("thead tr:last-child > th").forEach(function (th) {
      for (var i = 0; i < (th.colSpan || 1); i++) heads.push(th.textContent.trim());
    });
    table.querySelectorAll("tbody > tr").forEach(function (tr) {
      var col = 0;
      Array.prototype.forEach.call(tr.cells, function (cell) {
        if (!cell.hasAttribute("data-label") && heads[col]) cell.setAttribute("data-label", heads[col]);
        else if (!heads[col] && cell.querySelector("a, button")) {
          // One action sits in the card's corner; several make a row at its foot.
          cell.setAttribute(cell.querySelectorAll("a, button").length > 1 ? "data-card-actions" : "data-card-action", "");
        }
        if (!cell.children.length && !cell.textContent.trim()) cell.classList.add("cell-blank");  // no card line
        else if (cell.hasAttribute("data-label") && !cell.querySelector(":scope > .cell-value")) {
          // The value in one box, so the label and the value can sit side by side (app.css).
          var value = document.createElement("span");  // inline: the desktop table reads as before
          value.className = "cell-value";
          while (cell.firstChild) value.appendChild(cell.firstChild);
          cell.appendChild(value);
        }
        col += cell.colSpan || 1;
      });
    });
    table.classList.add("carded");
  });
})();

// Searchable enterprise picker (issue 22): a <select data-picker="search URL"> or a text
// <input data-picker> becomes a type-ahead combobox (ARIA 1.2 combobox + listbox) asking the
// tenant's member search (tenants/members/search.py). Without JavaScript the plain field works.
(function () {
  var seq = 0;
  function enhance(field) {
    var isSelect = field.tagName === "SELECT";
    var n = ++seq, listId = "picker-list-" + n, statusId = "picker-status-" + n;
    var input = isSelect ? document.createElement("input") : field;
    var wrap = document.createElement("div");
    wrap.className = "picker";
    field.parentNode.insertBefore(wrap, field);
    if (isSelect) {
      input.type = "text";
      input.className = field.className.replace("form-select", "form-control");
      input.id = (field.id || "picker-" + n) + "-search";
      var label = field.id && document.querySelector('label[for="' + field.id + '"]');
      if (label) label.htmlFor = input.id;
      ["aria-describedby", "aria-label", "aria-invalid"].forEach(function (name) {
        if (field.getAttribute(name)) input.setAttribute(name, field.getAttribute(name));
      });
      var chosen = field.options[field.selectedIndex];
      input.value = chosen && chosen.value && chosen.value !== "0" ? chosen.text : "";
      field.hidden = true;
      field.tabIndex = -1;
      wrap.appendChild(input);
      wrap.appendChild(field);
    } else {
      wrap.appendChild(field);
    }
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("autocomplete", "off");
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "picker-list list-group";
    list.setAttribute("role", "listbox");
    var named = input.getAttribute("aria-label") || (input.id && document.querySelector('label[for="' + input.id + '"]') || {}).textContent;
    if (named) list.setAttribute("aria-label", named.trim());
    list.hidden = true;
    var status = document.createElement("div");
    status.id = statusId;
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    wrap.appendChild(list);
    wrap.appendChild(status);

    var items = [], active = -1, timer = null, asked = "", picked = input.value;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function highlight(i) {
      var nodes = list.children;
      if (active >= 0 && nodes[active]) { nodes[active].classList.remove("active"); nodes[active].setAttribute("aria-selected", "false"); }
      active = i;
      if (i >= 0 && nodes[i] && items[i]) {
        nodes[i].classList.add("active");
        nodes[i].setAttribute("aria-selected", "true");
        input.setAttribute("aria-activedescendant", nodes[i].id);
        if (nodes[i].scrollIntoView) nodes[i].scrollIntoView({ block: "nearest" });
      }
    }
    function pick(i) {
      var item = items[i];
      if (!item) return;
      if (isSelect) {
        var option = Array.prototype.find.call(field.options, function (o) { return o.value === String(item.id); });
        if (!option) { option = new Option(item.name, item.id); field.add(option); }
        field.value = String(item.id);
        field.dispatchEvent(new Event("change", { bubbles: true }));
      }
      input.value = item.name;
      picked = item.name;
      close();
    }
    function render(results) {
      items = results;
      list.textContent = "";
      results.forEach(function (item, i) {
        var li = document.createElement("li");
        li.id = listId + "-" + i;
        li.className = "list-group-item list-group-item-action";
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.textContent = item.name + " ";
        var code = document.createElement("small");
        code.className = "picker-code";
        code.textContent = item.credit_code;
        li.appendChild(code);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); pick(i); });
        list.appendChild(li);
      });
      if (!results.length) {
        var none = document.createElement("li");
        none.className = "list-group-item text-body-secondary";
        none.textContent = field.dataset.pickerNone || "—";
        list.appendChild(none);
      }
      status.textContent = results.length ? String(results.length) : (field.dataset.pickerNone || "");
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
      if (results.length) highlight(0);
    }
    function ask() {
      var q = input.value.trim();
      if (!q) { items = []; close(); return; }
      asked = q;
      var url = field.dataset.picker + (field.dataset.picker.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(q);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) { if (asked === q && document.activeElement === input) render(data.results || []); })
        .catch(function () {});
    }
    input.addEventListener("input", function () {
      if (isSelect && !input.value.trim()) {  // emptied: back to "none" (the select's empty/0 choice)
        var empty = Array.prototype.find.call(field.options, function (o) { return !o.value || o.value === "0"; });
        if (empty) field.value = empty.value;
        picked = "";
      }
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
    input.addEventListener("keydown", function (e) {
      var open = !list.hidden;
      if (e.key === "ArrowDown") {
        e.preventDefault();
        if (!open) { ask(); return; }
        highlight(Math.min(active + 1, items.length - 1));
      } else if (e.key === "ArrowUp") {
        e.preventDefault();
        if (open) highlight(Math.max(active - 1, 0));
      } else if (e.key === "Enter") {
        if (open) { e.preventDefault(); if (active >= 0) pick(active); else close(); }
      } else if (e.key === "Escape") {
        if (open) { e.preventDefault(); close(); }
        else if (isSelect) { input.value = picked; }
      } else if (e.key === "Tab") {
        close();
      }
    });
    input.addEventListener("blur", function () {
      close();
      // A select keeps what was picked: text typed but not chosen would be misleading.
      if (isSelect && input.value !== picked) input.value = picked;
    });
  }
  document.querySelectorAll("select[data-picker], input[data-picker]").forEach(enhance);
})();

// Drafts (issue 22): what is typed into a long text field of a form that saves (POST) is kept in
// this browser's localStorage while typing, offered back if the page is left before saving, and
// dropped when the form is submitted. `data-draft="off"` on a textarea opts it out.
(function () {
  var store;
  try { store = window.localStorage; store.getItem("x"); } catch (e) { return; }
  // Drafts are this user's only: signing out drops them, and one left for a week is stale.
  var WEEK = 7 * 24 * 3600 * 1000;
  function dropAll(olderThan) {
    for (var i = store.length - 1; i >= 0; i--) {
      var k = store.key(i);
      if (!k || k.indexOf("draft:") !== 0) continue;
      var t = 0;
      try { t = JSON.parse(store.getItem(k)).t || 0; } catch (e) { t = 0; }
      if (olderThan === undefined || t < olderThan) store.removeItem(k);
    }
  }
  dropAll(Date.now() - WEEK);
  document.querySelectorAll("form[action$='/logout']").forEach(function (f) {
    f.addEventListener("submit", function () { dropAll(); });
  });
  function read(key) {
    try { var d = JSON.parse(store.getItem(key)); return d && typeof d.v === "string" ? d.v : null; }
    catch (e) { return null; }
  }
  var areas = document.querySelectorAll("form[method=post] textarea[name]:not([data-draft=off]), form[method=POST] textarea[name]:not([data-draft=off])");
  areas.forEach(function (area) {
    var key = "draft:" + location.pathname + ":" + area.name;
    var saved = read(key);
    var original = area.value;
    if (saved !== null && saved !== original) {
      area.value = saved;
      var note = document.createElement("div");
      note.className = "draft-note mt-1";
      note.setAttribute("role", "status");
      note.textContent = (document.documentElement.dataset.draftRestored || "") + " ";  // base.html's <html>: translated
      var discard = document.createElement("button");
      discard.type = "button";
      discard.className = "btn btn-link btn-sm p-0 align-baseline";
      discard.textContent = document.documentElement.dataset.draftDiscard || "×";
      discard.addEventListener("click", function () { area.value = original; store.removeItem(key); note.remove(); });
      note.appendChild(discard);
      area.insertAdjacentElement("afterend", note);
    } else if (saved !== null) {
      store.removeItem(key);
    }
    var timer;
    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (area.value === original) store.removeItem(key);
        else store.setItem(key, JSON.stringify({ t: Date.now(), v: area.value }));
      }, 400);
    });
    area.form.addEventListener("submit", function () { clearTimeout(timer); store.removeItem(key); });
  });
})();

// A training's organiser fields (templates/training/edit.html): the organising member only for
// internal training, the organiser's name only for the bureau or a third party. Without
// JavaScript both stay shown.
(function () {
  var organiser = document.getElementById("organiser");
  if (!organiser || organiser.tagName !== "SELECT") return;
  function box(id) {
    var field = document.getElementById(id);
    return field ? (field.closest(".mb-3, .form-group") || field.parentElement) : null;
  }
  var member = box("organiser_enterprise_id"), name = box("organiser_name");
  function sync() {
    var v = organiser.value;
    if (member) member.hidden = v !== "enterprise";
    if (name) name.hidden = !(v === "bureau" || v === "third_party");
  }
  organiser.addEventListener("change", sync);
  sync();
})();

// A filter over a long list of checkboxes (an instructor's members, issue 22): typing hides the
// boxes whose label does not contain the text; ticked boxes hidden still count.
(function () {
  document.querySelectorAll("[data-filter-for]").forEach(function (box) {
    var list = document.getElementById(box.dataset.filterFor), input = box.querySelector("input");
    if (!list || !input) return;
    box.hidden = false;
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase();
      Array.prototype.forEach.call(list.children, function (item) {
        item.hidden = q !== "" && item.textContent.toLowerCase().indexOf(q) < 0;
      });
    });
  });
})();
