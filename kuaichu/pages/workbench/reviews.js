// The police review queue of the reviewer's jurisdiction, oldest first, with each case's due time (SLA).
import { $, api, bi, h, loading, showProblem, table, when } from "./app.js";

const where = $("#queue");
const SOURCE = { dispute: ["当事人有异议", "disputed by a party"], engine: ["规则无法判定", "the rules could not decide"] };

async function load() {
  loading(where);
  try {
    const { reviews } = await api("GET", "/v1/police/reviews");
    const rows = reviews.map((r) => {
      const due = r.due_at ? [when(r.due_at), r.breached ? h("strong", { class: "late" }, " ", ...bi("已超时", "overdue")) : null]
        : "—";
      const why = (r.reasons || []).map((x) => x.zh || x.code).join("；");
      const src = SOURCE[r.source] || [r.source, r.source];
      return [
        h("a", { href: `/staff/reviews/${r.report_id}` }, ...bi("案件", "Case"), " ", r.report_id.slice(0, 8)),
        when(r.opened_at), due, r.zone, h("span", {}, ...bi(...src)), why || "—", String(r.vehicle_count),
      ];
    });
    where.replaceChildren(table("待审核案件", "Cases waiting for a determination", [
      bi("案件", "Case"), bi("进入审核", "Opened"), bi("时限", "Due"), bi("辖区", "Zone"), bi("来源", "Source"),
      bi("原因", "Why"), bi("车辆数", "Vehicles")], rows));
  } catch (err) {
    showProblem(where, err);
  }
}

load();
