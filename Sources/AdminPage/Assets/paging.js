// Paging through a list route, in one place for every list of the page.
//
// A position is `{offset, cursor}`: `offset` is the index of the page's first row (shown as "51–100" and
// used to go back), `cursor` the API's opaque cursor that fetches the page, when there is one. A response
// that carries `next_cursor` (API.md "Cursor pages") is followed by cursor, which costs the same at any
// depth; a response without it (a server before cursors, or a route without them) is followed by offset.
// Going back uses the offset: the cursors only lead forward.
import { h } from "./dom.js";

/** The position named by the page's own query (`offset`, `cursor`). */
export function readPosition(query) {
  const offset = Number.parseInt(query.get("offset") || "0", 10);
  return { offset: Number.isFinite(offset) && offset > 0 ? offset : 0, cursor: query.get("cursor") || null };
}

/** Writes `position` into the page's query (a URLSearchParams), replacing what was there. */
export function writePosition(query, position) {
  query.delete("offset");
  query.delete("cursor");
  if (position.offset > 0) query.set("offset", String(position.offset));
  if (position.cursor) query.set("cursor", position.cursor);
  return query;
}

/** The list route's paging parameters for `position`: `cursor` and `offset` never go together (a 400). */
export function pageParams(position, limit) {
  if (position.cursor) return { limit, cursor: position.cursor };
  return { limit, offset: position.offset > 0 ? position.offset : undefined };
}

/** Where Next leads after `response` (whose rows are `rows`), or null on the last page. */
export function nextPosition(position, response, rows) {
  const shown = position.offset + rows.length;
  if ("next_cursor" in response) {
    return response.next_cursor ? { offset: shown, cursor: response.next_cursor } : null;
  }
  return rows.length > 0 && shown < response.count ? { offset: shown, cursor: null } : null;
}

/** Where Previous leads, or null on the first page. */
export function previousPosition(position, limit) {
  if (position.offset <= 0) return null;
  return { offset: Math.max(0, position.offset - limit), cursor: null };
}

/** "Showing 51–100 of 1,000,000". */
export function rangeText(position, rows, count) {
  if (rows.length === 0) return count === 0 ? "" : "No rows on this page.";
  return `Showing ${(position.offset + 1).toLocaleString("en-US")}–${(position.offset + rows.length).toLocaleString("en-US")}`;
}

/**
 * Previous / Next buttons. `go(position)` is called with the position to show; a missing direction is a
 * disabled button, so the controls keep their place for keyboard users.
 */
export function pager(label, position, response, rows, limit, go) {
  const previous = previousPosition(position, limit);
  const next = nextPosition(position, response, rows);
  return h("nav", { class: "pager", "aria-label": label },
    h("button", { type: "button", class: "secondary", disabled: !previous, "data-page": "previous",
      onclick: () => previous && go(previous) }, "← Previous"),
    h("button", { type: "button", class: "secondary", disabled: !next, "data-page": "next",
      onclick: () => next && go(next) }, "Next →"));
}
