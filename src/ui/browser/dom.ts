// Small helpers for building the page with the DOM. Data is only ever written as text, never as markup.

type Child = Node | string;

/** An element with attributes ("class", "title", "data-…") and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

/**
 * An element showing one number or state, named for tests by data-field; data-value holds the raw value from
 * /status, empty when there is none.
 */
export function field(name: string, cls = ""): HTMLSpanElement {
  return h("span", { "data-field": name, "data-value": "", class: cls });
}

export function setField(element: HTMLElement, text: string, value: string | number | null): void {
  element.textContent = text;
  element.dataset.value = value === null ? "" : String(value);
}

/** A card of the dashboard's grid, its heading a title and maybe a number beside it; `span` widens it on wide screens. */
export function card(title: string | [string, Node], span: "" | "span-2" | "span-all", ...children: Child[]): HTMLElement {
  const heading = typeof title === "string" ? h("h2", {}, title) : h("h2", {}, title[0], title[1]);
  return h("section", { class: `card ${span}`.trim() }, heading, ...children);
}

/** A list of label and value pairs. */
export function facts(rows: [label: string, value: Child][]): HTMLDListElement {
  const list = h("dl", { class: "facts" });
  for (const [label, value] of rows) list.append(h("div", {}, h("dt", {}, label), h("dd", {}, value)));
  return list;
}

/** Shows or hides an element. */
export function show(element: HTMLElement, visible: boolean): void {
  element.hidden = !visible;
}
