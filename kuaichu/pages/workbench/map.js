// Counties drawn as SVG from our own zone outlines (GET /v1/zones/outlines): no tiles, nothing from elsewhere.
// Each county is a labelled shape; points (tasks) are placed with the projection the outlines come with.
import { h, s } from "./app.js";

export async function outlines(zones) {
  const q = zones && zones.length ? `?zones=${encodeURIComponent(zones.join(","))}` : "";
  const r = await fetch(`/v1/zones/outlines${q}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!r.ok) throw new Error(`outlines ${r.status}`);
  return r.json();
}

// The same shape as the outlines endpoint's answer, from a GeoJSON FeatureCollection (e.g. an assessor's counties
// from GET /v1/assessment/zones): equirectangular, x scaled by the cosine of the middle latitude.
export function fromGeoJSON(fc, width = 1000, margin = 10) {
  const rings = (g) => (g.type === "Polygon" ? g.coordinates : g.type === "MultiPolygon" ? g.coordinates.flat() : []);
  let [w, so, e, n] = fc.bbox || [180, 90, -180, -90];
  if (!fc.bbox) {
    for (const f of fc.features) for (const r of rings(f.geometry)) for (const [x, y] of r) {
      w = Math.min(w, x); e = Math.max(e, x); so = Math.min(so, y); n = Math.max(n, y);
    }
  }
  if (!fc.features.length) return { view_box: `0 0 ${width} ${width / 2}`, projection: null, zones: [] };
  const cos = Math.cos(((so + n) / 2) * Math.PI / 180);
  const k = (width - 2 * margin) / Math.max((e - w) * cos, n - so, 1e-6);
  const projection = { lon0: w - margin / (k * cos), lat0: n + margin / k, kx: k * cos, ky: k };
  const height = Math.ceil((n - so) * k + 2 * margin);
  const zones = fc.features.map((f) => {
    let sx = 0, sy = 0, cnt = 0;
    const d = rings(f.geometry).map((r) => "M" + r.map(([lon, lat]) => {
      const [x, y] = place(projection, lat, lon);
      sx += x; sy += y; cnt += 1;
      return `${x.toFixed(1)} ${y.toFixed(1)}`;
    }).join("L") + "Z").join("");
    return { ...f.properties, id: f.id || f.properties.id, d, label_x: sx / cnt, label_y: sy / cnt };
  });
  return { view_box: `0 0 ${width} ${height}`, projection, zones };
}

export function place(projection, lat, lon) {
  return [(lon - projection.lon0) * projection.kx, (projection.lat0 - lat) * projection.ky];
}

// `fill(zone)` → {cls, colour, text}: the class or colour of a county and what it says (its tooltip, and to a
// screen reader unless `summary` is given: then the map is one picture with that summary, and a table beside
// it carries the numbers).
export function drawMap(container, data, { title, fill, points = [], labels = false, summary = null } = {}) {
  const titleId = `${container.id || "map"}-title`;
  const svg = s("svg", { viewBox: data.view_box, role: summary ? "img" : "group", "aria-labelledby": titleId,
    preserveAspectRatio: "xMidYMid meet" });
  svg.append(s("title", { id: titleId }, summary ? `${title}：${summary}` : title || "地图 Map"));
  for (const z of data.zones) {
    const f = fill ? fill(z) : {};
    const said = `${z.name}${f.text ? "：" + f.text : ""}`;
    const p = s("path", { d: z.d, class: f.cls || "other", fill: f.colour || null, "data-zone": z.id,
      role: summary ? null : "img", "aria-label": summary ? null : said });
    p.append(s("title", {}, said));
    svg.append(p);
  }
  if (labels) {
    for (const z of data.zones) {
      svg.append(s("text", { x: z.label_x, y: z.label_y, "font-size": 22, "text-anchor": "middle", fill: "#1a1f24",
        "aria-hidden": "true" }, z.name));
    }
  }
  if (data.projection) {
    for (const pt of points) {
      const [x, y] = place(data.projection, pt.lat, pt.lon);
      const dot = s("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: 9, class: `task ${pt.cls || ""}`,
        role: "img", "aria-label": pt.label });
      dot.append(s("title", {}, pt.label));
      if (pt.href) {
        const a = s("a", { href: pt.href, "aria-label": pt.label });
        a.append(dot);
        svg.append(a);
      } else svg.append(dot);
    }
  }
  container.replaceChildren(svg);
  return svg;
}

// [[swatch, text]]: swatch is a class the map uses ("mine", "other", "task") or a colour ("#rrggbb").
export function legend(items) {
  return h("ul", { class: "legend" }, items.map(([swatch, text]) => {
    const colour = swatch.startsWith("#");
    const mark = s("svg", { width: 16, height: 16, viewBox: "0 0 16 16", "aria-hidden": "true", class: "swatch" },
      swatch === "task" ? s("circle", { cx: 8, cy: 8, r: 6, class: "task" })
        : s("rect", { x: 0.5, y: 0.5, width: 15, height: 15, class: colour ? "" : swatch, fill: colour ? swatch : null, stroke: "#6b7680" }));
    return h("li", {}, mark, " ", text);
  }));
}
