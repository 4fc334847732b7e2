// Sign-in: username, password and (police, supervisor, admin) the authenticator code. The answer sets the
// HttpOnly session cookie; nothing of it is kept by this script. Then on to the page asked for, or home.
import { $, api, say, showProblem } from "./app.js";

const form = $("#sign-in");
const result = $("#result");

function next() {
  const n = new URLSearchParams(location.search).get("next") || "/staff/";
  return n.startsWith("/staff/") && !n.startsWith("//") ? n : "/staff/";
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  result.replaceChildren();
  const username = form.elements.username.value.trim();
  const password = form.elements.password.value;
  const code = form.elements.totp_code.value.trim();
  if (!username || !password) {
    say(result, "请填写用户名和密码。", "Enter your username and password.", "error");
    (username ? form.elements.password : form.elements.username).focus();
    return;
  }
  const body = { username, password };
  if (code) body.totp_code = code;
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    await api("POST", "/v1/staff/session", body);
    say(result, "登录成功，正在打开工作台…", "Signed in; opening the workbench…");
    location.assign(next());
  } catch (err) {
    showProblem(result, err);
    form.elements.password.value = "";
    form.elements.password.focus();
  } finally {
    button.disabled = false;
  }
});
