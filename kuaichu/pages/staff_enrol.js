// The enrolment page: the one-time token is in the URL's fragment (never sent to a server nor in a Referer); it
// is read once, removed from the address bar, and sent in request bodies only.
"use strict";
(function () {
  const out = document.getElementById("result");
  const form = document.getElementById("enrol");
  function say(text) { out.textContent = text; }
  if (!window.isSecureContext) {
    say("此页面需要通过 HTTPS（或本机 localhost）打开。This page needs https (or localhost on this computer).");
    return;
  }
  const token = new URLSearchParams(location.hash.slice(1)).get("token") || "";
  history.replaceState(null, "", location.pathname);
  async function post(path, body) {
    const r = await fetch(path, {method: "POST", headers: {"Content-Type": "application/json",
      "Accept-Language": document.documentElement.lang}, body: JSON.stringify(body), credentials: "same-origin"});
    const data = await r.json();
    if (!r.ok) { throw new Error(data.zh.detail + " " + data.en.detail); }
    return data;
  }
  let info = null;
  post("/v1/staff/enrolment/open", {token}).then(function (data) {
    info = data;
    document.getElementById("who").textContent = data.username + " (" + data.role + ")";
    document.getElementById("password-part").hidden = !data.sets_password;
    document.getElementById("totp-part").hidden = !data.sets_totp;
    if (data.sets_totp) {
      document.getElementById("secret").textContent = data.totp_secret;
      document.getElementById("uri").textContent = data.otpauth_uri;
    }
    form.hidden = false;
  }).catch(function (e) { say(e.message); });
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    const f = new FormData(form);
    if (info.sets_password && f.get("password") !== f.get("password2")) {
      say("两次输入的密码不一致。The passwords differ.");
      return;
    }
    const body = {token};
    if (info.sets_password) { body.password = f.get("password"); }
    if (info.sets_totp) { body.totp_code = f.get("totp_code"); }
    post("/v1/staff/enrolment", body).then(function () {
      form.hidden = true;
      say("设置完成，请前往 /staff/ 登录。Done: sign in at /staff/.");
    }).catch(function (e) { say(e.message); });
  });
})();
