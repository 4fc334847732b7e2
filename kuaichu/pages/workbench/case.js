// A case under police review: both accounts side by side, the photos large with their EXIF time and place
// against the reported ones, the proposal and why, the history; and the determination form (category per
// party, articles from the list, reasons). The form is shown only to a police reviewer while the case waits
// for a determination, which is exactly when the API accepts one.
import { $, api, bi, h, loading, say, showProblem, table, when } from "./app.js";
import { FIELD, OUTCOME, REPORT_STATUS, VALUE, word } from "./words.js";

const reportId = document.body.dataset.id;
const role = document.body.dataset.role;
const where = $("#case");

const LIABILITY = [
  ["full", "全部责任", "full", 100], ["major", "主要责任", "major", 70], ["equal", "同等责任", "equal", 50],
  ["minor", "次要责任", "minor", 30], ["none", "无责任", "none", 0],
];
const PHOTO = {
  front_overview: ["侧前方全景", "front overview"], rear_overview: ["侧后方全景", "rear overview"],
  impact_point: ["碰撞部位", "impact point"], plate: ["号牌", "plate"], licence: ["证件", "licence"],
  scene: ["现场", "scene"], other: ["其他", "other"],
};
// A photo taken long after, or far from, the reported time and place is worth a second look.
const FAR_M = 1000;
const LATE_S = 2 * 3600;

function facts(account) {
  if (!account) return h("p", { class: "muted" }, bi("尚未陈述", "No account given"));
  const items = [];
  const add = (k, v) => {
    if (v === null || v === undefined || v === "" || (Array.isArray(v) && !v.length)) return;
    const text = (Array.isArray(v) ? v : [v]).map((x) => word(VALUE, x));
    items.push(h("div", {}, h("dt", {}, bi(...word(FIELD, k))),
      h("dd", {}, text.map(([zh, en], i) => [i ? "、" : "", zh, " ", h("span", { lang: "en" }, en)]))));
  };
  for (const part of [account.context || {}, account.facts || {}]) {
    for (const [k, v] of Object.entries(part)) add(k, v);
  }
  return h("dl", { class: "facts" }, items);
}

function side(s) {
  const d = s.details;
  const resp = s.proposal_response;
  return h("section", { class: "side", "aria-labelledby": `side-${s.party}` },
    h("h3", { id: `side-${s.party}` }, ...bi(`当事人 ${s.party}`, `Party ${s.party}`)),
    h("dl", { class: "facts" },
      h("div", {}, h("dt", {}, ...bi("驾驶人", "Driver")), h("dd", {}, d.driver.name)),
      h("div", {}, h("dt", {}, ...bi("电话", "Phone")), h("dd", {}, d.driver.phone)),
      h("div", {}, h("dt", {}, ...bi("号牌", "Plate")), h("dd", {}, d.vehicle.plate)),
      h("div", {}, h("dt", {}, ...bi("保险公司", "Insurer")), h("dd", {}, d.insurance.insurer_code))),
    h("h4", {}, ...bi("本方陈述", "Own account")), facts(s.account),
    resp ? h("p", { class: resp.response === "dispute" ? "flag" : "" },
      (resp.response === "dispute" ? bi("对建议有异议：", "Disputes the proposal: ") : bi("接受建议", "Accepts the proposal")),
      resp.reason || "") : null);
}

function photo(p, report) {
  const a = p.against_report || {};
  const late = a.taken_after_report_s;
  const far = a.distance_from_report_m;
  const odd = (late !== null && late !== undefined && Math.abs(late) > LATE_S) || (far !== null && far !== undefined && far > FAR_M);
  const kind = PHOTO[p.kind] || [p.kind, p.kind];
  const label = `${kind[0]} ${kind[1]}${p.party_label ? " · " + p.party_label : ""}`;
  return h("figure", { class: odd ? "photo odd" : "photo" },
    h("a", { href: p.links.original, target: "_blank", rel: "noopener" },
      h("img", { src: p.derivatives === "ready" ? p.links.preview : p.links.original, alt: `${label}（点击查看原图 open the original）`, loading: "lazy", width: p.width, height: p.height })),
    h("figcaption", {},
      h("strong", {}, label),
      h("span", {}, ...bi("拍摄时间", "Taken"), " ", p.taken_at ? when(p.taken_at) : "—",
        late !== null && late !== undefined ? ` （${late >= 0 ? "事故后" : "事故前"} ${Math.round(Math.abs(late) / 60)} 分钟 / ${Math.round(late / 60)} min）` : ""),
      h("span", {}, ...bi("拍摄地点", "Place"), " ",
        far !== null && far !== undefined ? `距报案地点 ${Math.round(far)} 米 (${Math.round(far)} m from the reported place)` : bi("无定位", "no position")),
      h("span", {}, ...bi("报案时间", "Reported"), " ", when(report.occurred_at)),
      odd ? h("strong", { class: "flag" }, ...bi("时间或地点与报案不符，请核实", "Time or place differs from the report: check")) : null));
}

function proposal(p) {
  if (!p) return h("p", { class: "muted" }, ...bi("无建议", "No proposal"));
  const r = p.result || {};
  const matched = (r.matched || []).map((m) => h("li", {}, `${m.party}: ${m.title ? m.title.zh : m.scenario} `,
    h("span", { lang: "en" }, m.title ? m.title.en : ""), " — ", (m.legal_basis || []).join("；")));
  const why = (r.review_reasons || []).map((x) => h("li", {}, x.zh, " ", h("span", { lang: "en" }, x.en)));
  return h("div", {},
    h("p", {}, bi("结果", "Outcome"), "：", bi(...word(OUTCOME, r.outcome)), " ",
      (r.allocations || []).map((a) => `${a.party} ${a.share_percent}%`).join(" / ")),
    matched.length ? h("ul", {}, matched) : null,
    why.length ? [h("p", {}, ...bi("需要交警认定的原因：", "Why it needs the police:")), h("ul", {}, why)] : null,
    h("p", { class: "muted" }, ...bi("规则集", "Template set"), ` ${p.template_set ? p.template_set.id + " " + p.template_set.version : ""}`));
}

// The articles the proposal's matched rules cite come first, marked; then the rest as the API lists them.
function ordered(file) {
  const cited = new Set(((file.proposal && file.proposal.result && file.proposal.result.matched) || [])
    .flatMap((m) => m.legal_basis || []));
  const all = (file.articles || []).map((a) => ({ ...a, cited: cited.has(a.article) }));
  return [...all.filter((a) => a.cited), ...all.filter((a) => !a.cited)];
}

function determinationForm(file) {
  const labels = file.sides.map((s) => s.party);
  const form = h("form", { id: "determination", class: "form", novalidate: true });
  const out = h("div", { id: "determination-result", "aria-live": "polite" });
  const shares = labels.map((label) => h("fieldset", { class: "choice" },
    h("legend", {}, ...bi(`当事人 ${label} 的责任`, `Liability of party ${label}`)),
    LIABILITY.map(([v, zh, en, pct]) => h("label", {},
      h("input", { type: "radio", name: `share-${label}`, value: v, required: true }), ` ${zh} ${pct}% `, h("span", { lang: "en" }, en)))));
  const articles = h("fieldset", { class: "articles" },
    h("legend", {}, ...bi("依据条款（从列表中选择）", "Articles relied on (choose from the list)")),
    ordered(file).map((a, i) => h("label", {},
      h("input", { type: "checkbox", name: "article", value: a.article, id: `article-${i}` }), " ", a.article,
      a.cited ? h("strong", {}, " ", bi("（系统建议所引）", "(cited by the proposal)")) : null,
      a.title_zh ? h("span", { class: "muted" }, ` ${a.title_zh} `) : null, a.title_en ? h("span", { lang: "en", class: "muted" }, a.title_en) : null)));
  const reason = [h("label", { for: "reason" }, ...bi("认定理由", "Reasons")),
    h("textarea", { id: "reason", name: "reason", rows: 5, required: true, maxlength: 4000 })];
  form.append(...shares, articles, ...reason,
    h("button", { type: "submit" }, ...bi("作出认定", "Issue the determination")));
  const key = crypto.randomUUID();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const picked = labels.map((label) => ({ party: label, liability: (form.elements[`share-${label}`].value || "") }));
    const missing = picked.find((p) => !p.liability);
    if (missing) {
      say(out, `请选择当事人 ${missing.party} 的责任。`, `Choose the liability of party ${missing.party}.`, "error");
      form.querySelector(`input[name=share-${missing.party}]`).focus();
      return;
    }
    const total = picked.reduce((t, p) => t + LIABILITY.find((l) => l[0] === p.liability)[3], 0);
    if (total !== 100) {
      say(out, `各方责任比例合计须为100%（现为${total}%）。`, `The shares must add up to 100% (now ${total}%).`, "error");
      form.querySelector(`input[name=share-${labels[0]}]:checked`).focus();
      return;
    }
    const chosen = [...form.querySelectorAll("input[name=article]:checked")].map((x) => x.value);
    if (!chosen.length) {
      say(out, "请至少选择一条依据条款。", "Choose at least one article.", "error");
      form.querySelector("input[name=article]").focus();
      return;
    }
    const text = form.elements.reason.value.trim();
    if (!text) {
      say(out, "请填写认定理由。", "Give the reasons.", "error");
      form.elements.reason.focus();
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await api("POST", `/v1/reports/${reportId}/fault/determinations`,
        { shares: picked, articles: chosen, reason: text }, { headers: { "Idempotency-Key": key } });
      say(out, "认定已作出，已通知各方当事人。", "The determination is issued; the parties are told.");
      await load(true);
    } catch (err) {
      showProblem(out, err);
      button.disabled = false;
    }
  });
  return [form, out];
}

function determination(d) {
  return h("div", { class: "done" },
    h("p", {}, ...bi("已认定", "Determined"), ` ${when(d.created_at)}：`,
      d.shares.map((s) => `${s.party} ${s.share_percent}%`).join(" / ")),
    h("p", {}, ...bi("依据", "Articles"), "：", d.articles.join("；")),
    h("p", {}, ...bi("理由", "Reasons"), "：", d.reason));
}

function history(events) {
  return h("details", { class: "history" },
    h("summary", {}, bi(`显示全部 ${events.length} 条记录`, `Show all ${events.length} entries`)),
    table("处理记录", "History", [bi("时间", "When"), bi("事项", "What"), bi("操作人", "Who")],
      events.map((e) => [when(e.at), `${e.entity} · ${e.action}`, e.actor_kind])));
}

async function load(keepMessage) {
  if (!keepMessage) loading(where);
  let file;
  try {
    file = await api("GET", `/v1/police/reviews/${reportId}`);
  } catch (err) {
    showProblem(where, err);
    return;
  }
  const r = file.report;
  const review = file.review;
  $("#case-title").replaceChildren(...bi(`案件 ${r.id.slice(0, 8)}`, `Case ${r.id.slice(0, 8)}`));
  const waiting = file.fault.status === "in_review";
  const summary = h("dl", { class: "summary" },
    h("div", {}, h("dt", {}, ...bi("事故时间", "Occurred")), h("dd", {}, when(r.occurred_at))),
    h("div", {}, h("dt", {}, ...bi("地点", "Place")), h("dd", {}, `${r.zone.name} · ${r.address || ""}`)),
    h("div", {}, h("dt", {}, bi("状态", "Status")), h("dd", {}, bi(...word(REPORT_STATUS, file.fault.status)))),
    review ? h("div", {}, h("dt", {}, ...bi("认定时限", "Due")), h("dd", { class: review.breached ? "late" : "" },
      when(review.due_at), review.breached ? [" ", bi("已超时", "overdue")] : "")) : null);
  const reasons = review && review.reasons.length ? h("ul", { class: "reasons" },
    review.reasons.map((x) => h("li", {}, x.zh || "", " ", h("span", { lang: "en" }, x.en || "")))) : null;
  const parts = [summary, reasons,
    h("h2", {}, ...bi("双方陈述", "Both accounts")), h("div", { class: "sides" }, file.sides.map(side)),
    h("h2", {}, ...bi("照片", "Photos")), h("div", { class: "photos" }, file.photos.map((p) => photo(p, r))),
    h("h2", {}, ...bi("系统建议及理由", "The proposal and why")), proposal(file.proposal),
  ];
  parts.push(h("h2", { id: "determine-h" }, ...bi("责任认定", "Determination")));
  if (file.fault.determination) parts.push(determination(file.fault.determination));
  if (waiting && role === "police") parts.push(...determinationForm(file));
  else if (!file.fault.determination) parts.push(h("p", { class: "muted" }, ...bi("此账号不能作出认定。", "This account does not issue determinations.")));
  parts.push(h("h2", {}, ...bi("处理记录", "History")), history(file.history || []));
  const keep = keepMessage ? $("#determination-result") : null;
  where.replaceChildren(...parts.flat().filter(Boolean));
  if (keep) where.append(keep);
}

load();
