// Building the page. Every value from the API enters the document as text: a text node, textContent or an
// attribute value. Nothing here parses a string as HTML (no innerHTML anywhere in the page), so a customer
// named `<img src=x onerror=…>` shows as those characters. The Content-Security-Policy the server sends
// (scripts only from this origin, Trusted Types required for HTML sinks) makes a slip fail loudly.

// Properties set after the children exist (a <select>'s value needs its options first).
const PROPERTIES = new Set(["value", "checked", "disabled", "readOnly", "selected", "multiple"]);

/** An element with attributes (`onclick` etc. become listeners) and children (strings become text). */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  const properties = [];
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (PROPERTIES.has(name)) {
      properties.push([name, value]);
    } else if (name === "class") {
      element.className = value;
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  for (const [name, value] of properties) element[name] = value;
  return element;
}

/** Appends children: nodes as they are, strings and numbers as text, null/undefined/false skipped. */
export function append(parent, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Hash link inside the page: `link("customers/" + id, name)`. Ids are URI-encoded, so they stay one segment. */
export function link(path, text, attributes = {}) {
  return h("a", { href: "#/" + path, ...attributes }, text);
}

export function customerPath(id) {
  return "customers/" + encodeURIComponent(id);
}

export function groupPath(id) {
  return "groups/" + encodeURIComponent(id);
}

/** "Ada Lovelace", or "" when neither name is set. */
export function fullName(customer) {
  return [customer.first_name, customer.last_name].filter((part) => part).join(" ");
}

/** The API's timestamps (`2024-01-01T09:30:00.000Z`) as `2024-01-01 09:30 UTC`: the same for every viewer. */
export function formatTime(iso) {
  if (!iso) return "—";
  return iso.slice(0, 10) + " " + iso.slice(11, 16) + " UTC";
}

export function formatCount(number) {
  return Number(number).toLocaleString("en-US");
}

/** 75 → "1 min 15 s", 7300 → "2 h 1 min". */
export function formatDuration(seconds) {
  const total = Math.max(0, Math.round(seconds));
  if (total < 60) return `${total} s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes} min` + (total % 60 ? ` ${total % 60} s` : "");
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h` + (minutes % 60 ? ` ${minutes % 60} min` : "");
  return `${Math.floor(hours / 24)} days`;
}

/** A table with a caption (read by screen readers, hidden on screen when `hideCaption`) and header cells. */
export function table(caption, headings, rows, { hideCaption = true, className = "list" } = {}) {
  return h("div", { class: "table-wrap" },
    h("table", { class: className },
      h("caption", { class: hideCaption ? "visually-hidden" : null }, caption),
      h("thead", {}, h("tr", {}, headings.map((heading) => h("th", { scope: "col" }, heading)))),
      h("tbody", {}, rows)));
}

/** A body cell; `label` is shown above the value when the table is laid out as cards (narrow screens). */
export function cell(label, ...content) {
  return h("td", { "data-label": label }, ...content);
}

/** A cell that takes the whole width of its card on narrow screens (names, emails, errors). */
export function wideCell(label, ...content) {
  return h("td", { "data-label": label, class: "wide" }, ...content);
}

/** A description list of [term, value] pairs. */
export function details(pairs) {
  return h("dl", { class: "details" }, pairs.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}
