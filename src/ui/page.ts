// The dashboard at GET /ui: one HTML document with its styles (uPlot's and ours) and its script (build.sh bundles
// src/ui/browser/ into build/ui/dashboard.js) inline, so that a compiled executable serves it without any other
// file and the page fetches nothing but its own JSON.
import { readFileSync } from "node:fs";
import script from "../../build/ui/dashboard.js" with { type: "file" };
import uplotCss from "../../node_modules/uplot/dist/uPlot.min.css" with { type: "file" };
import ownCss from "./dashboard.css" with { type: "file" };

export type DashboardRole = "worker" | "pool";

const pages = new Map<DashboardRole, string>();

/** The whole page for the worker or the pool, assembled once. It holds nothing from a request or from /status. */
export function dashboardPage(role: DashboardRole): string {
  let page = pages.get(role);
  if (page === undefined) {
    page = assemble(role);
    pages.set(role, page);
  }
  return page;
}

function assemble(role: DashboardRole): string {
  const css = readFileSync(uplotCss, "utf8") + "\n" + readFileSync(ownCss, "utf8");
  // "</script" inside the bundle (in a string, a regex or a template) would end the element early; "<\/" is the
  // same text to JavaScript.
  const js = readFileSync(script, "utf8").replaceAll("</script", "<\\/script");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<meta name="referrer" content="no-referrer">
<title>k2pow ${role}</title>
<link rel="icon" href="data:,">
<style>
${css}
</style>
</head>
<body data-role="${role}">
<noscript>This dashboard needs JavaScript; /status has the same data as JSON.</noscript>
<script>
${js}
</script>
</body>
</html>
`;
}
