// A table whose rows are replaced at each update, saying something when it has none. On a phone a wide table
// either scrolls sideways inside its card or, when made with `stacked`, shows each row as a block of labelled values
// (each cell carries its column's heading in data-label for that).
import { h } from "./dom";

export interface Cell {
  text: string;
  /** The full value when the text shortens it (a job key), or an explanation. */
  title?: string;
  cls?: string;
  /** For tests: the data-field name and the raw value. */
  field?: string;
  value?: string | number | null;
}

export function cell(text: string, extra: Omit<Cell, "text"> = {}): Cell {
  return { text, ...extra };
}

export class Table {
  readonly root: HTMLElement;
  private readonly head = h("thead");
  private readonly body = h("tbody");

  constructor(
    private readonly headings: string[],
    private readonly empty: string,
    stacked = false,
  ) {
    const row = h("tr");
    for (const heading of headings) row.append(h("th", { scope: "col" }, heading));
    this.head.append(row);
    const table = h("table", { class: stacked ? "stacked" : "" }, this.head, this.body);
    this.root = h("div", { class: "scroll" }, table);
  }

  /** Each row is its cells, and attributes for the row (data-worker). */
  render(rows: { cells: Cell[]; attrs?: Record<string, string> }[]): void {
    this.head.hidden = rows.length === 0;
    if (rows.length === 0) {
      const colspan = String(this.headings.length);
      this.body.replaceChildren(h("tr", {}, h("td", { class: "empty", colspan }, this.empty)));
      return;
    }
    this.body.replaceChildren(
      ...rows.map(({ cells, attrs }) => h("tr", attrs, ...cells.map((c, i) => renderCell(c, this.headings[i] ?? "")))),
    );
  }
}

function renderCell({ text, title, cls, field, value }: Cell, label: string): HTMLTableCellElement {
  const td = h("td", { "data-label": label }, text);
  if (title !== undefined) td.title = title;
  if (cls !== undefined) td.className = cls;
  if (field !== undefined) {
    td.dataset.field = field;
    td.dataset.value = value === null || value === undefined ? "" : String(value);
  }
  return td;
}
