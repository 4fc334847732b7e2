// Staff accounts: the list, a new account (role, insurer for adjusters, jurisdiction for police and
// supervisors), jurisdiction changes, deactivation, and a password / authenticator reset that gives a new
// one-time link for the person.
import { $, api, bi, h, say, showProblem, table, when } from "./app.js";

const where = $("#accounts");
const ROLES = [["police", "交警", "police"], ["adjuster", "查勘员", "adjuster"], ["coordinator", "协理员", "coordinator"],
  ["supervisor", "监督员", "supervisor"], ["admin", "管理员", "admin"], ["court", "法院", "court"]];
const roleName = (r) => { const x = ROLES.find((y) => y[0] === r); return x ? bi(x[1], x[2]) : r; };

function row(a) {
  const out = h("div", { role: "status", "aria-live": "polite" });
  const actions = h("div", { class: "actions" });
  if (a.active) {
    const off = h("button", { type: "button", class: "danger", "aria-label": `停用 Deactivate ${a.username}` }, bi("停用", "Deactivate"));
    off.addEventListener("click", async () => {
      if (!off.dataset.armed) {  // two steps, so a slip of the finger does not end someone's access
        off.dataset.armed = "1";
        off.replaceChildren(...bi(`确认停用 ${a.username}`, `Confirm: deactivate ${a.username}`));
        return;
      }
      try {
        await api("POST", `/v1/admin/staff/${encodeURIComponent(a.username)}/deactivate`);
        await load(`${a.username} 已停用，其登录已结束。`, `${a.username} is deactivated; their sessions ended.`);
      } catch (err) { showProblem(out, err); }
    });
    const reset = h("button", { type: "button", class: "secondary", "aria-label": `重置 Reset ${a.username}` }, bi("重置密码和口令", "Reset sign-in"));
    reset.addEventListener("click", async () => {
      try {
        const r = await api("POST", `/v1/admin/staff/${encodeURIComponent(a.username)}/reset`, { password: true, totp: true });
        out.replaceChildren(h("div", { class: "ok" }, h("p", {}, bi("请把此一次性链接当面交给本人（24小时内有效）：",
          "Hand this one-time link to the person (valid 24 h):")), h("code", {}, r.enrolment_url)));
      } catch (err) { showProblem(out, err); }
    });
    actions.append(reset, off);
  }
  if (a.active && ["police", "supervisor"].includes(a.role)) {
    const zones = h("input", { name: "zones", value: (a.jurisdiction || []).join(","), "aria-label": `${a.username} 辖区 jurisdiction` });
    const save = h("button", { type: "button", class: "secondary" }, bi("保存辖区", "Save jurisdiction"));
    save.addEventListener("click", async () => {
      const list = zones.value.split(",").map((z) => z.trim()).filter(Boolean);
      try {
        await api("PUT", `/v1/admin/staff/${encodeURIComponent(a.username)}/jurisdiction`, { zones: list });
        await load(`${a.username} 的辖区已更新。`, `${a.username}'s jurisdiction is updated.`);
      } catch (err) { showProblem(out, err); }
    });
    actions.append(zones, save);
  }
  return [a.username, a.display_name, roleName(a.role), a.insurer_code || (a.jurisdiction || []).join(", ") || "—",
    a.active ? bi("在用", "active") : h("span", { class: "muted" }, bi("已停用", "deactivated")), when(a.created_at), [actions, out]];
}

async function load(zh, en) {
  try {
    const { accounts } = await api("GET", "/v1/admin/staff");
    where.replaceChildren(zh ? h("p", { class: "ok", role: "status" }, bi(zh, en)) : "",
      table("员工账号", "Staff accounts", [bi("用户名", "Username"), bi("姓名", "Name"), bi("角色", "Role"),
        bi("保险公司或辖区", "Insurer or jurisdiction"), bi("状态", "State"), bi("创建", "Created"), bi("操作", "Actions")],
      accounts.map(row)));
  } catch (err) { showProblem(where, err); }
}

function newForm() {
  const form = $("#new-account");
  const out = $("#new-result");
  form.append(
    h("label", { for: "n-username" }, bi("用户名", "Username")),
    h("input", { id: "n-username", name: "username", required: true, pattern: "[A-Za-z0-9._-]+", autocapitalize: "none" }),
    h("label", { for: "n-name" }, bi("姓名", "Name")), h("input", { id: "n-name", name: "display_name" }),
    h("label", { for: "n-role" }, bi("角色", "Role")),
    h("select", { id: "n-role", name: "role" }, ROLES.map(([v, zh, en]) => h("option", { value: v }, `${zh} ${en}`))),
    h("label", { for: "n-insurer" }, bi("保险公司代码（查勘员）", "Insurer code (adjusters)")), h("input", { id: "n-insurer", name: "insurer" }),
    h("label", { for: "n-zones" }, bi("辖区（区县编号，逗号分隔；交警、监督员）", "Jurisdiction (zone ids, comma-separated; police, supervisors)")),
    h("input", { id: "n-zones", name: "zones", placeholder: "zj-330102,zj-330105" }),
    h("button", { type: "submit" }, bi("创建账号", "Create the account")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const v = (n) => form.elements[n].value.trim();
    if (!v("username")) { say(out, "请填写用户名。", "Enter a username.", "error"); form.elements.username.focus(); return; }
    const body = { username: v("username"), role: v("role") };
    if (v("display_name")) body.display_name = v("display_name");
    if (v("insurer")) body.insurer = v("insurer");
    const zones = v("zones").split(",").map((z) => z.trim()).filter(Boolean);
    if (zones.length) body.jurisdiction = zones;
    try {
      // A person's account comes with its one-time link (a password, and an authenticator where the role needs
      // one, set by the person): to hand over in person.
      const r = await api("POST", "/v1/admin/staff", body);
      out.replaceChildren(h("div", { class: "ok" }, h("p", {}, bi(`账号 ${body.username} 已创建。`, `Account ${body.username} created.`)),
        h("p", {}, bi("一次性设置链接（24小时内有效，请当面交给本人）：", "One-time set-up link (24 h; hand it over in person):")),
        h("code", { class: "secret" }, r.enrolment_url)));
      form.reset();
      await load();
    } catch (err) { showProblem(out, err); }
  });
}

newForm();
load();
