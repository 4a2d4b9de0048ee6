// The top of the page: which box this is, a badge with its state, a line of detail, and the banners that say the
// data is stale, locked out or insecure.
import { field, h, setField, show } from "./dom";
import { formatClock } from "./format";
import type { Headline, Tone } from "./view";

export class Header {
  readonly root: HTMLElement;
  private readonly badge = field("state", "badge");
  private readonly line = h("p", { class: "line" }, "Connecting…");
  private readonly updated = h("span", { class: "updated num" });
  private readonly alert = h("div", { class: "banner bad", role: "alert" });
  private readonly warning = h("div", { class: "banner warn" });

  constructor(private readonly role: "worker" | "pool") {
    this.setBadge("connecting", "Connecting", "off");
    show(this.alert, false);
    show(this.warning, false);
    this.root = h(
      "header",
      { class: "top" },
      h(
        "div",
        { class: "top-inner" },
        h("div", { class: "title" }, h("span", { class: "brand" }, "k2pow"), " ", role, this.badge, this.updated),
        this.line,
      ),
      this.alert,
      this.warning,
    );
  }

  /** Fresh data. */
  live(headline: Headline, at: number): void {
    this.setBadge(headline.state, headline.badge, headline.tone);
    this.line.textContent = headline.line;
    this.updated.textContent = `updated ${formatClock(at)}`;
    this.updated.classList.remove("bad");
    show(this.alert, false);
    this.warning.textContent = headline.warning === null ? "" : `Security: ${headline.warning}`;
    show(this.warning, headline.warning !== null);
  }

  /** The last fetch failed; what is shown stays, marked as old. */
  unreachable(since: number, lastData: number | null, reason: string): void {
    this.setBadge("unreachable", "Unreachable", "bad");
    const data = lastData === null ? "no data yet." : `showing data from ${formatClock(lastData)}.`;
    this.alert.textContent = `Unreachable since ${formatClock(since)} (${reason}) — ${data}`;
    show(this.alert, true);
    this.updated.classList.add("bad");
  }

  unauthorized(): void {
    this.setBadge("unauthorized", "Locked", "bad");
    this.line.textContent = "";
    this.updated.textContent = "";
    this.alert.textContent = "Wrong or missing password. Reload the page to sign in again.";
    show(this.alert, true);
    show(this.warning, false);
  }

  private setBadge(state: string, text: string, tone: Tone): void {
    setField(this.badge, text, state);
    this.badge.dataset.tone = tone;
    document.title = `${text} · k2pow ${this.role}`;
  }
}
