// Hours calculator: the page works without JavaScript (server-rendered POST); with it,
// rows can be added, irrelevant fields hide, and the form is answered by the JSON API
// (POST /api/v1/hours/assess) without reloading the page.
(function () {
  "use strict";
  var form = document.getElementById("calculator");
  var out = document.getElementById("calc-result");
  if (!form || !out || !window.fetch) { return; }

  var DAY_KINDS = ["conference", "training_class", "talent_base_training"];
  var SHOW = {
    activities: function (kind) {
      return {
        "only-days": DAY_KINDS.indexOf(kind) >= 0,
        "only-hours": kind && DAY_KINDS.indexOf(kind) < 0,
        "only-conference": kind === "conference",
        "only-transfer": kind === "transfer",
        "only-category": kind && kind !== "self_study"
      };
    },
    exemptions: function (kind) {
      return {
        "only-year": kind && kind !== "public_round_certificate",
        "only-award": kind === "award",
        "only-book": kind === "book",
        "only-papers": kind === "papers",
        "only-round": kind === "public_round_certificate"
      };
    }
  };

  function val(row, name) {
    var el = row.querySelector("[name$='-" + name + "']");
    return el ? el.value.trim() : "";
  }

  function toggle(row) {
    var rules = SHOW[row.getAttribute("data-row")](val(row, "kind"));
    Object.keys(rules).forEach(function (cls) {
      row.querySelectorAll("." + cls).forEach(function (el) { el.hidden = !rules[cls]; });
    });
  }

  function rows(kind) { return Array.prototype.slice.call(form.querySelectorAll("[data-row='" + kind + "']")); }

  function addRow(kind) {
    var all = rows(kind);
    var last = all[all.length - 1];
    var next = all.length;
    var copy = last.cloneNode(true);
    copy.querySelectorAll("[name], [id], [for]").forEach(function (el) {
      ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
        var v = el.getAttribute(attr);
        if (v) { el.setAttribute(attr, v.replace(/-(\d+)-/, "-" + next + "-")); }
      });
      if (el.tagName === "INPUT") { el.value = ""; }
      if (el.tagName === "SELECT") { el.selectedIndex = 0; }
    });
    copy.querySelectorAll(".error").forEach(function (el) { el.remove(); });
    copy.querySelectorAll(".field-error").forEach(function (el) { el.classList.remove("field-error"); });
    last.parentNode.insertBefore(copy, last.nextSibling);
    toggle(copy);
  }

  function num(s) { return s === "" ? s : Number(s.replace(",", ".")); }

  // The same JSON body CalculatorForm.to_request builds on the server.
  function body() {
    var b = { year: num(form.querySelector("[name='year']").value.trim()), activities: [], exemptions: [] };
    var map = { activities: [], exemptions: [] };
    rows("activities").forEach(function (row) {
      var kind = val(row, "kind");
      if (!kind) { return; }
      var item = { kind: kind };
      if (DAY_KINDS.indexOf(kind) >= 0) { item.days = num(val(row, "days")); } else { item.hours = num(val(row, "hours")); }
      if (kind !== "self_study") { item.category = val(row, "category") || "specialized"; }
      if (kind === "conference") { item.level = val(row, "level"); }
      if (kind === "transfer") { item.region = val(row, "region"); }
      b.activities.push(item);
      map.activities.push(row);
    });
    rows("exemptions").forEach(function (row) {
      var kind = val(row, "kind");
      if (!kind) { return; }
      var item = { kind: kind };
      if (kind === "public_round_certificate") { item.round = num(val(row, "round")); }
      else if (val(row, "year")) { item.year = num(val(row, "year")); }
      if (kind === "award") { item.level = val(row, "level"); item.grade = num(val(row, "grade")); }
      if (kind === "book" && val(row, "characters")) { item.characters = num(val(row, "characters")); }
      if (kind === "papers") {
        ["provincial", "city", "county"].forEach(function (k) { item[k] = num(val(row, k) || "0"); });
      }
      b.exemptions.push(item);
      map.exemptions.push(row);
    });
    var ps = form.querySelector("[name='period_start']").value.trim();
    var pe = form.querySelector("[name='period_end']").value.trim();
    if (ps || pe) { b.appointment_period = { start_year: num(ps), end_year: num(pe) }; }
    return { json: b, map: map };
  }

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined) { e.textContent = text; }
    if (cls) { e.className = cls; }
    return e;
  }

  function clearErrors() {
    form.querySelectorAll(".js-error").forEach(function (e) { e.remove(); });
    form.querySelectorAll(".field-error").forEach(function (e) { e.classList.remove("field-error"); });
  }

  function showErrors(data, map) {
    var L = out.dataset;
    out.replaceChildren(el("p", data.message || L.lError, "form-errors"));
    (data.fields || []).forEach(function (f) {
      var parts = f.field.split(".");
      var target = null;
      if ((parts[0] === "activities" || parts[0] === "exemptions") && map[parts[0]][Number(parts[1])]) {
        var row = map[parts[0]][Number(parts[1])];
        target = row.querySelector("[name$='-" + (parts[3] || "kind") + "']") || row.querySelector("[name$='-kind']");
      } else if (parts[0] === "year") {
        target = form.querySelector("[name='year']");
      } else if (parts[0] === "appointment_period") {
        target = form.querySelector("[name='" + (parts[1] === "start_year" ? "period_start" : "period_end") + "']");
      }
      var msg = el("p", f.message, "error js-error");
      msg.setAttribute("role", "alert");
      if (target) {
        target.closest(".field").classList.add("field-error");
        target.closest(".field").appendChild(msg);
      } else {
        out.appendChild(msg);
      }
    });
  }

  function fmt(n) { return (Math.round(n * 10) / 10).toString(); }

  var ruleLabels = {};
  try { ruleLabels = JSON.parse(out.dataset.ruleLabels || "{}"); } catch (e) { ruleLabels = {}; }

  function render(a) {
    var L = out.dataset;
    var h = el("h2", a.year + " ");
    h.appendChild(el("span", a.complies ? L.lComplies : L.lNotComplies, a.complies ? "tag tag-ok" : "tag tag-danger"));
    var dl = el("dl", undefined, "facts");
    function fact(label, value) { dl.appendChild(el("dt", label)); dl.appendChild(el("dd", value)); }
    fact(L.lRequired, L.lRequirement.replace("{t}", a.required_total).replace("{p}", a.required_public));
    fact(L.lCounted, fmt(a.counted_total) + " " + L.lH);
    fact(L.lPublic, fmt(a.public_hours) + " " + L.lH + " (" + fmt(a.public_counted) + " " + L.lPublicCounted + ")");
    if (a.self_study_hours) { fact(L.lSelf, fmt(a.self_study_hours) + " → " + fmt(a.self_study_counted) + " " + L.lH); }
    if (!a.complies) {
      fact(L.lShortfall, L.lTotalShort + " " + fmt(a.shortfall.total) + " " + L.lH + " · " +
        L.lPublicShort + " " + fmt(a.shortfall.public) + " " + L.lH);
    }
    var ol = el("ol", undefined, "reason-list");
    ol.id = "reasons";
    a.reasons.forEach(function (r) {
      var li = el("li");
      if (["total", "public", "verdict"].indexOf(r.rule) < 0) {
        li.appendChild(el("span", ruleLabels[r.rule] || r.rule, "tag"));
        li.appendChild(document.createTextNode(" "));
      }
      li.appendChild(document.createTextNode(r.message));
      ol.appendChild(li);
    });
    out.replaceChildren(h, dl, el("h3", L.lReasons), ol);
  }

  form.addEventListener("change", function (ev) {
    var row = ev.target.closest("[data-row]");
    if (row && /-kind$/.test(ev.target.name)) { toggle(row); }
  });
  form.querySelectorAll("[data-add-row]").forEach(function (btn) {
    btn.hidden = false;
    btn.addEventListener("click", function () { addRow(btn.getAttribute("data-add-row")); });
  });
  rows("activities").concat(rows("exemptions")).forEach(toggle);

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    clearErrors();
    var req = body();
    fetch(form.dataset.api + "?lang=" + encodeURIComponent(form.dataset.lang), {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(req.json)
    }).then(function (resp) {
      return resp.json().then(function (data) { return { ok: resp.ok, data: data }; });
    }).then(function (res) {
      if (res.ok) { render(res.data); } else { showErrors(res.data, req.map); }
      out.scrollIntoView({ behavior: "smooth", block: "start" });
    }).catch(function () { form.submit(); });
  });
}());
