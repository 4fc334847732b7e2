// The joining page (/join): log in with a texted code, then join the report with the share code.
// Same-origin only; the session token lives in this page's memory and is gone when the page closes.
"use strict";
(function () {
  var form = document.getElementById("join");
  var out = document.getElementById("result");
  var token = null;

  function say(zh, en) {
    out.textContent = zh + "\n" + en;
  }

  function problem(body) {
    var zh = (body && body.zh) ? body.zh.detail || body.zh.title : "请求失败，请稍后重试。";
    var en = (body && body.en) ? body.en.detail || body.en.title : "The request failed; try again.";
    say(zh, en);
  }

  async function post(path, body, headers) {
    var r = await fetch(path, {
      method: "POST", credentials: "omit", referrerPolicy: "no-referrer",
      headers: Object.assign({"Content-Type": "application/json", "Accept-Language": "zh"}, headers || {}),
      body: JSON.stringify(body)
    });
    var data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    return {status: r.status, ok: r.ok, data: data};
  }

  function value(name) { return form.elements[name].value.trim(); }
  function yes(name) { return form.elements[name].value === "yes"; }

  document.getElementById("send-code").addEventListener("click", async function () {
    if (!value("phone")) { say("请先填写手机号。", "Enter your phone number first."); return; }
    var r = await post("/v1/auth/otp", {phone: value("phone")});
    if (r.ok) say("验证码已发送，请查看短信。", "A code was texted to you.");
    else problem(r.data);
  });

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    if (!token) {
      var s = await post("/v1/auth/session", {phone: value("phone"), code: value("otp")});
      if (!s.ok) { problem(s.data); return; }
      token = s.data.session_token;
    }
    var body = {
      share_code: value("share_code"),
      case_answers: {injuries: yes("injuries"), vehicles_movable: yes("vehicles_movable"),
                     public_facility_damage: yes("public_facility_damage"), intentional: yes("intentional")},
      party: {
        answers: {licence_valid: yes("licence_valid"), compulsory_insurance: yes("compulsory_insurance"),
                  inspection_mark_valid: yes("inspection_mark_valid"),
                  suspected_impairment: yes("suspected_impairment"), has_plate: yes("has_plate"),
                  fled: yes("fled"), dangerous_goods: yes("dangerous_goods"),
                  overloaded_passenger: yes("overloaded_passenger")},
        driver: {name: value("name"), id_kind: value("id_kind"), id_number: value("id_number"), phone: value("phone")},
        vehicle: {plate: value("plate"), type: value("vehicle_type")},
        insurance: {insurer_code: value("insurer_code"), policy_number: value("policy_number")}
      },
      consent: {notice_version: form.dataset.notice, location: form.elements.consent_location.checked,
                sharing: form.elements.consent_sharing.checked}
    };
    var key = form.dataset.key || (form.dataset.key = crypto.randomUUID());
    var r = await post("/v1/reports/join", body, {"Authorization": "Bearer " + token, "Idempotency-Key": key});
    if (r.status === 201) {
      say("您已加入事故报告（编号 " + r.data.report.id + "）。请继续在快处中查看并补充信息。",
          "You joined the accident report (" + r.data.report.id + "). Continue in Kuaichu to review and add details.");
    } else if (r.data && r.data.status === "referred_to_122") {
      var reasons = (r.data.eligibility.reasons || []);
      say("本事故不能线上快处，请拨打122：" + reasons.map(function (x) { return x.zh; }).join("；"),
          "This accident cannot be handled online; call 122: " + reasons.map(function (x) { return x.en; }).join("; "));
    } else {
      problem(r.data);
    }
  });
})();
