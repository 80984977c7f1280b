// The analytics dashboard (analytics:read): a window and a bucket, event counts by type and
// distinct active users drawn as SVG charts (built with DOM calls: nothing inline for the
// Content-Security-Policy to refuse), and the most viewed products, searches and categories.

const SVG = "http://www.w3.org/2000/svg";
const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"];
const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;

function svg(name, attributes = {}, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  if (text !== undefined) element.textContent = text;
  return element;
}

// Lines of `series` ({label: [{start, value}]}) over [from, to), with the x axis in UTC.
export function lineChart(title, series, from, to) {
  const width = 720, height = 240, left = 48, right = 12, top = 12, bottom = 40;
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title, class: "chart" });
  const values = Object.values(series).flat();
  const max = Math.max(1, ...values.map((p) => p.value));
  const x = (t) => left + ((t - from) / (to - from)) * (width - left - right);
  const y = (v) => height - bottom - (v / max) * (height - top - bottom);
  chart.append(svg("line", { x1: left, y1: y(0), x2: width - right, y2: y(0), stroke: "#57606a" }));
  chart.append(svg("line", { x1: left, y1: top, x2: left, y2: y(0), stroke: "#57606a" }));
  chart.append(svg("text", { x: 4, y: top + 10, "font-size": 11 }, String(max)));
  chart.append(svg("text", { x: 4, y: y(0), "font-size": 11 }, "0"));
  for (const at of [from, (from + to) / 2, to]) {
    const label = new Date(at).toISOString().slice(0, 16).replace("T", " ");
    chart.append(svg("text", { x: Math.min(x(at), width - 110), y: height - 22, "font-size": 11 }, label));
  }
  chart.append(svg("text", { x: width / 2 - 40, y: height - 6, "font-size": 11 }, "time (UTC)"));
  Object.entries(series).forEach(([label, points], index) => {
    const colour = COLOURS[index % COLOURS.length];
    const sorted = [...points].sort((a, b) => a.start - b.start);
    const d = sorted.map((p, i) => `${i ? "L" : "M"}${x(p.start).toFixed(1)},${y(p.value).toFixed(1)}`).join(" ");
    chart.append(svg("path", { d, fill: "none", stroke: colour, "stroke-width": 2, "data-series": label }));
    for (const p of sorted) {
      const dot = svg("circle", { cx: x(p.start).toFixed(1), cy: y(p.value).toFixed(1), r: 3, fill: colour });
      dot.append(svg("title", {}, `${label}: ${p.value} at ${new Date(p.start).toISOString()}`));
      chart.append(dot);
    }
  });
  return chart;
}

function legend(series) {
  const list = document.createElement("ul");
  list.className = "legend";
  Object.keys(series).forEach((label, index) => {
    const item = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.className = `swatch swatch-${index % COLOURS.length}`;
    item.append(swatch, label);
    list.append(item);
  });
  return list;
}

function table(headings, rows) {
  const element = document.createElement("table");
  const head = element.createTHead().insertRow();
  for (const heading of headings) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = heading;
    head.append(th);
  }
  const body = element.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    for (const value of row) tr.insertCell().textContent = value;
  }
  return element;
}

function empty(text) {
  const p = document.createElement("p");
  p.className = "empty";
  p.textContent = text;
  return p;
}

function windowOf(form) {
  const choice = form.elements.window.value;
  if (choice === "custom") {
    const from = new Date(form.elements.from.value).getTime();
    const to = new Date(form.elements.to.value).getTime();
    return { from, to };
  }
  const to = Date.now();
  return { from: to - { day: DAY, week: 7 * DAY, month: 30 * DAY }[choice], to };
}

export function setupAnalytics(call, notice) {
  const form = document.getElementById("analytics-form");
  const output = document.getElementById("analytics-output");
  form.elements.window.addEventListener("change", () => {
    document.getElementById("analytics-custom").hidden = form.elements.window.value !== "custom";
  });

  async function load() {
    const { from, to } = windowOf(form);
    if (!(from < to)) {
      notice("The window's start must come before its end.");
      return;
    }
    const bucket = form.elements.bucket.value;
    const window = `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`;
    try {
      const [counts, active, products, searches, categories] = await Promise.all([
        call(`/analytics/events/counts?${window}&bucket=${bucket}`),
        call(`/analytics/active-users?${window}&bucket=${bucket}`),
        call(`/analytics/top-products?${window}&limit=10`),
        call(`/analytics/top-searches?${window}&limit=10`),
        call(`/analytics/category-views?${window}`),
      ]);
      notice("");
      const byType = {};
      for (const b of counts.buckets) {
        (byType[b.event_type] ||= []).push({ start: Date.parse(b.start), value: b.count });
      }
      const users = { "active users": active.buckets.map((b) => ({ start: Date.parse(b.start), value: b.active_users })) };
      const section = (title, ...content) => {
        const part = document.createElement("section");
        const heading = document.createElement("h3");
        heading.textContent = title;
        part.append(heading, ...content);
        return part;
      };
      output.replaceChildren(
        section(`Events by type, per ${bucket} (UTC)`, ...(counts.buckets.length
          ? [lineChart("Events by type", byType, from, to), legend(byType)]
          : [empty("No events in this window.")])),
        section(`Distinct active users, per ${bucket} (UTC)`, ...(active.buckets.length
          ? [lineChart("Active users", users, from, to)]
          : [empty("No identified user was active in this window.")])),
        section("Most viewed products", products.length
          ? table(["Product", "Views"], products.map((p) => [p.name ?? `${p.product_id} (deleted)`, p.views]))
          : empty("No product was viewed in this window.")),
        section("Most frequent searches", searches.items.length
          ? table(["Search", "Searches", "Found nothing"], searches.items.map((s) => [s.query, s.searches, s.zero_result_searches]))
          : empty("Nobody searched in this window.")),
        section("Views per category", categories.items.length
          ? table(["Category", "Views"], categories.items.map((c) => [c.name ?? `${c.category_id} (deleted)`, c.views]))
          : empty("No category's products were viewed in this window.")),
      );
    } catch (error) {
      notice(error.message);
    }
  }

  form.addEventListener("submit", (event) => { event.preventDefault(); load(); });
  return load;
}
