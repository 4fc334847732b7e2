// An adjuster's or coordinator's tasks: offered, accepted and done, as a list and on a map of the counties
// they serve (tasks as points; open ones first in the list, as the API orders them).
import { $, api, bi, h, loading, showProblem, when } from "./app.js";
import { drawMap, fromGeoJSON, legend } from "./map.js";
import { STATUS } from "./status.js";


const list = $("#tasks");
const map = $("#map");

let names = new Map(); // zone id → name, from the map's counties

function card(t) {
  const st = STATUS[t.status] || [t.status, t.status];
  const offer = (t.offers || []).at(-1);
  const km = offer && offer.distance_m != null ? `${(offer.distance_m / 1000).toFixed(1)} km` : "—";
  return h("li", { class: "card" },
    h("h3", {}, h("a", { href: `/staff/tasks/${t.id}` }, `${t.plate} · `, bi(...st))),
    h("dl", { class: "facts" },
      h("div", {}, h("dt", {}, bi("区域", "Zone")), h("dd", {}, `${names.get(t.zone_id) || t.zone_id}（${t.zone_kind === "rural" ? "农村 rural" : "城区 urban"}）`)),
      h("div", {}, h("dt", {}, bi("距离", "Distance")), h("dd", {}, km)),
      h("div", {}, h("dt", {}, bi("派单时间", "Created")), h("dd", {}, when(t.created_at))),
      t.status === "offered" ? h("div", {}, h("dt", {}, bi("请在此前答复", "Answer by")), h("dd", {}, when(offer && offer.respond_by))) : null,
      t.eta_at ? h("div", {}, h("dt", {}, bi("预计到达", "ETA")), h("dd", {}, when(t.eta_at))) : null));
}

async function load() {
  loading(list);
  let tasks, zones;
  try {
    [tasks, zones] = await Promise.all([api("GET", "/v1/assessment/tasks").then((x) => x.tasks),
      api("GET", "/v1/assessment/zones")]);
  } catch (err) {
    showProblem(list, err);
    return;
  }
  names = new Map(zones.features.map((f) => [f.id, f.properties.name]));
  list.replaceChildren(tasks.length ? h("ul", { class: "cards" }, tasks.map(card))
    : h("p", { class: "muted" }, bi("暂无任务。新任务派给您时会显示在这里。", "No tasks. New ones appear here when offered to you.")));
  const data = fromGeoJSON(zones);
  drawMap(map, data, {
    title: "服务区域及任务位置 Counties you serve and your open tasks", labels: data.zones.length <= 30,
    fill: (z) => ({ cls: z.open_tasks ? "mine" : "other", text: `${z.open_tasks} 个进行中的任务 open tasks` }),
    points: tasks.filter((t) => !["completed", "cancelled"].includes(t.status)).map((t) => ({
      lat: t.lat, lon: t.lon, cls: t.status, href: `/staff/tasks/${t.id}`,
      label: `${t.plate}：${(STATUS[t.status] || [t.status])[0]}` })),
  });
  map.append(legend([["mine", "有进行中任务的区县 counties with open tasks"], ["other", "其他服务区县 other counties you serve"],
    ["task", "任务位置（可点击） a task (select to open)"]]));
}

load();
