// Insurer webhook endpoints (URL, enabled or disabled and why) and their signing secrets: rotation shows the
// new secret once, the old one keeps signing beside it for the overlap chosen.
import { $, api, bi, h, say, showProblem, table, when } from "./app.js";

const where = $("#webhooks");

async function secrets(code, box) {
  const out = h("div", { role: "status", "aria-live": "polite" });
  try {
    const s = await api("GET", `/v1/admin/insurers/${encodeURIComponent(code)}/webhook/secrets`);
    const form = h("form", { class: "actions" },
      h("label", { for: `overlap-${code}` }, bi("新旧密钥并行（小时）", "Overlap (hours)")),
      h("input", { id: `overlap-${code}`, name: "overlap", type: "number", min: 0, max: 720, value: 24, inputmode: "numeric" }),
      h("button", { type: "submit" }, bi(`轮换 ${code} 的密钥`, `Rotate ${code}'s secret`)));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const r = await api("POST", `/v1/admin/insurers/${encodeURIComponent(code)}/webhook/secrets`,
          { overlap_hours: Number(form.elements.overlap.value || 24) });
        await secrets(code, box);
        box.append(h("div", { class: "ok", role: "status" },
          h("p", {}, bi("新密钥（只显示这一次，请立即交给保险公司）：", "New secret (shown once: give it to the insurer now):")),
          h("code", { class: "secret" }, r.secret)));
      } catch (err) { showProblem(out, err); }
    });
    box.replaceChildren(table(`${code} 的签名密钥`, `${code}'s signing secrets`,
      [bi("指纹", "Fingerprint"), bi("生效", "From"), bi("失效", "Until"), bi("签名中", "Signing")],
      s.secrets.map((x) => [x.fingerprint, x.not_before ? when(x.not_before) : "—", x.not_after ? when(x.not_after) : "—",
        x.signing ? bi("是", "yes") : bi("否", "no")])), form, out);
  } catch (err) { showProblem(box, err); }
}

function enableButton(w) {
  const out = h("div", { role: "status", "aria-live": "polite" });
  const b = h("button", { type: "button" }, bi(`重新启用 ${w.code} 的回调`, `Enable ${w.code}'s webhook again`));
  b.addEventListener("click", async () => {
    try {
      await api("POST", `/v1/admin/insurers/${encodeURIComponent(w.code)}/webhook/enable`);
      await load();
    } catch (err) { showProblem(out, err); }
  });
  return h("div", {}, h("p", { class: "late" }, bi("已停用", "Disabled"), `（${when(w.disabled_at)}）：${w.disabled_reason || ""}`),
    h("div", { class: "actions" }, b), out);
}

async function load() {
  try {
    const data = await api("GET", "/v1/admin/insurers/webhooks");
    const list = data.insurers;
    where.replaceChildren(...list.map((w) => {
      const box = h("div", {});
      const section = h("section", { class: "card", "aria-labelledby": `wh-${w.code}` },
        h("h2", { id: `wh-${w.code}` }, `${w.code} ${w.name || ""}`),
        h("p", {}, bi("回调地址", "Endpoint"), "：", w.webhook_url || "—"),
        h("p", {}, bi("待发送", "Pending"), ` ${w.pending} · `, bi("已暂停", "Parked"), ` ${w.parked} · `,
          bi("最近送达", "Last delivered"), ` ${when(w.last_delivered_at)}`),
        w.enabled ? null : enableButton(w),
        box);
      secrets(w.code, box);
      return section;
    }));
    if (!list.length) say(where, "没有配置回调的保险公司。", "No insurer has a webhook endpoint.", "muted");
  } catch (err) { showProblem(where, err); }
}

load();
