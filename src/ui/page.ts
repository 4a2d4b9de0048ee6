// The dashboard at GET /ui: one HTML document with its styles (uPlot's and ours) and its script (build.sh bundles
// src/ui/browser/ into build/ui/dashboard.js) inline, so that a compiled executable serves it without any other
// file and the page fetches nothing but its own JSON.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import script from "../../build/ui/dashboard.js" with { type: "file" };
import uplotCss from "../../node_modules/uplot/dist/uPlot.min.css" with { type: "file" };
import ownCss from "./dashboard.css" with { type: "file" };

export type DashboardRole = "worker" | "pool";

export interface DashboardPage {
  html: string;
  /**
   * The page may run its own script and no other (not even an inline event handler, should one ever slip into the
   * DOM), and fetch from its own origin only; no other site may frame it.
   */
  contentSecurityPolicy: string;
}

const pages = new Map<DashboardRole, DashboardPage>();

/** The whole page for the worker or the pool, assembled once. It holds nothing from a request or from /status. */
export function dashboardPage(role: DashboardRole): DashboardPage {
  let page = pages.get(role);
  if (page === undefined) {
    page = assemble(role);
    pages.set(role, page);
  }
  return page;
}

function assemble(role: DashboardRole): DashboardPage {
  const css = readFileSync(uplotCss, "utf8") + "\n" + readFileSync(ownCss, "utf8");
  // "</script" inside the bundle (in a string, a regex or a template) would end the element early; "<\/" is the
  // same text to JavaScript.
  const js = `\n${readFileSync(script, "utf8").replaceAll("</script", "<\\/script")}\n`;
  const scriptHash = createHash("sha256").update(js).digest("base64");
  // uPlot sets element styles from its script; styles cannot run code, so inline ones stay allowed.
  const contentSecurityPolicy = [
    "default-src 'none'",
    `script-src 'sha256-${scriptHash}'`,
    "style-src 'unsafe-inline'",
    "connect-src 'self'",
    "img-src data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
  const html = `<!doctype html>
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
<script>${js}</script>
</body>
</html>
`;
  return { html, contentSecurityPolicy };
}
