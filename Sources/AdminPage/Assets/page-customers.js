// The customers: search, filters, sort and pages, all kept in the page's address (`#/customers?q=…`), so
// Back, reload and a shared link show the same list. The list request goes out before anything else the
// page needs (the groups for the filter come in parallel), so the first rows show as soon as it answers.
import { allGroups, get } from "./api.js";
import { cell, customerPath, formatCount, formatTime, fullName, h, link, table, wideCell } from "./dom.js";
import { field, formError, showErrors, values } from "./forms.js";
import { pageParams, pager, rangeText, readPosition, writePosition } from "./paging.js";

const LIMIT = 50;
const FIELDS = "id,email,first_name,last_name,phone,has_account,created_at";
const DEFAULT_ORDER = "-created_at";
const ORDERS = [
  ["-created_at", "Newest first"],
  ["created_at", "Oldest first"],
  ["last_name", "Last name A–Z"],
  ["-last_name", "Last name Z–A"],
  ["email", "Email A–Z"],
  ["-email", "Email Z–A"],
  ["-updated_at", "Recently updated"],
];
// The filters the page's address may carry, as the form names them.
const FILTERS = ["q", "has_account", "group", "created_from", "created_to", "order"];

/** The day after `YYYY-MM-DD`, at midnight UTC: "created to" includes the whole day. */
function dayAfter(day) {
  const date = new Date(day + "T00:00:00.000Z");
  date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString();
}

function isDay(text) {
  return /^\d{4}-\d{2}-\d{2}$/.test(text) && !Number.isNaN(Date.parse(text + "T00:00:00.000Z"));
}

/** GET /admin/customers parameters for the filters in the page's address. */
export function listParams(query, position) {
  const from = query.get("created_from") || "";
  const to = query.get("created_to") || "";
  const order = query.get("order") || DEFAULT_ORDER;
  return {
    ...pageParams(position, LIMIT),
    q: query.get("q") || undefined,
    has_account: query.get("has_account") || undefined,
    "groups[]": query.get("group") ? [query.get("group")] : undefined,
    "created_at[gte]": isDay(from) ? from + "T00:00:00.000Z" : from || undefined,
    "created_at[lt]": isDay(to) ? dayAfter(to) : to || undefined,
    order: order === DEFAULT_ORDER ? undefined : order,
    fields: FIELDS,
  };
}

function filterForm(context, query) {
  const groupSelect = field("group", "Group", {}, { kind: "select", options: [["", "Any group"]] });
  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter customers", novalidate: true },
    formError(),
    field("q", "Search", { type: "search", placeholder: "Name, email or phone", value: query.get("q") || "" }),
    field("has_account", "Account", { value: query.get("has_account") || "" },
      { kind: "select", options: [["", "Any"], ["true", "With account"], ["false", "Guest (no account)"]] }),
    groupSelect,
    field("created_from", "Created from", { type: "date", value: query.get("created_from") || "" }),
    field("created_to", "Created to", { type: "date", value: query.get("created_to") || "" }),
    field("order", "Sort", { value: query.get("order") || DEFAULT_ORDER }, { kind: "select", options: ORDERS }),
    h("div", { class: "actions" },
      h("button", { type: "submit" }, "Apply"),
      h("a", { href: "#/customers", class: "button secondary" }, "Clear")));
  const select = groupSelect.querySelector("select");
  const chosen = query.get("group");
  if (chosen) select.append(h("option", { value: chosen }, "Selected group"));
  select.value = chosen || "";
  allGroups().then(({ customer_groups: groups }) => {
    select.replaceChildren(h("option", { value: "" }, "Any group"), ...groups.map((group) => h("option", { value: group.id }, group.name)));
    if (chosen && !groups.some((group) => group.id === chosen)) select.append(h("option", { value: chosen }, chosen));
    select.value = chosen || "";
  }, () => { /* the list works without the group names */ });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosenValues = values(form);
    const next = new URLSearchParams();
    for (const name of FILTERS) {
      const value = chosenValues[name];
      if (value && !(name === "order" && value === DEFAULT_ORDER)) next.set(name, value);
    }
    context.navigate("customers", next);
  });
  return form;
}

export async function render(context) {
  const { query } = context;
  const position = readPosition(query);
  const listing = get("/admin/customers", listParams(query, position));
  const summary = h("p", { class: "summary", "aria-live": "polite" }, "Loading customers…");
  const results = h("div", { class: "results" });
  const form = filterForm(context, query);
  context.show(h("section", {},
    h("div", { class: "heading" }, h("h1", {}, "Customers"), link("customers/new", "Add customer", { class: "button" })),
    form, summary, results), { title: "Customers" });

  let response;
  try {
    response = await listing;
  } catch (error) {
    if (error.status !== 400 || !context.isCurrent()) throw error;
    summary.textContent = "";
    showErrors(form, error);
    return;
  }
  if (!context.isCurrent()) return;
  const rows = response.customers;
  const count = `${formatCount(response.count)} ${response.count === 1 ? "customer" : "customers"}`;
  summary.textContent = [count, rangeText(position, rows, response.count)].filter(Boolean).join(" · ");
  results.replaceChildren(
    rows.length === 0
      ? h("p", { class: "empty" }, "No customer matches these filters.")
      : table("Customers", ["Name", "Email", "Phone", "Account", "Created"], rows.map((customer) =>
        h("tr", {},
          wideCell("Name", link(customerPath(customer.id), fullName(customer) || "(no name)")),
          wideCell("Email", customer.email),
          cell("Phone", customer.phone || "—"),
          cell("Account", customer.has_account ? "Yes" : "Guest"),
          cell("Created", formatTime(customer.created_at))))),
    pager("Customer pages", position, response, rows, LIMIT, (next) => {
      context.navigate("customers", writePosition(new URLSearchParams(query), next));
    }));
  // What the browser test reads with the Performance API: the first rows are in the document.
  performance.mark("clientele:customers-rows");
}
