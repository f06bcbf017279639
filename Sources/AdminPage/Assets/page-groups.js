// Customer groups: the list (search by name, pages) and a form to create one.
import { call, forgetGroups, get } from "./api.js";
import { cell, formatCount, formatTime, groupPath, h, link, table, wideCell } from "./dom.js";
import { field, formError, showErrors, values, whileBusy } from "./forms.js";
import { pageParams, pager, rangeText, readPosition, writePosition } from "./paging.js";

const LIMIT = 50;

function createForm(context) {
  const form = h("form", { class: "card", novalidate: true, "aria-labelledby": "create-group-heading" },
    h("h2", { id: "create-group-heading" }, "New group"),
    formError(),
    h("div", { class: "inline" },
      field("name", "Name", { autocomplete: "off", required: true }),
      h("div", { class: "actions" }, h("button", { type: "submit" }, "Create group"))));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { name } = values(form);
    let created;
    try {
      created = await whileBusy(form, () => call("POST", "/admin/customer-groups", { body: name ? { name } : {} }));
    } catch (error) {
      return showErrors(form, error, { fieldFor: { duplicate_error: "name" } });
    }
    forgetGroups();
    const group = created.data.customer_group;
    context.navigate(groupPath(group.id), new URLSearchParams(), `Created the group ${group.name}.`);
  });
  return form;
}

export async function render(context) {
  const { query } = context;
  const position = readPosition(query);
  const listing = get("/admin/customer-groups", { ...pageParams(position, LIMIT), q: query.get("q") || undefined, order: "name" });
  const search = h("form", { class: "filters", role: "search", "aria-label": "Search groups", novalidate: true },
    formError(),
    field("q", "Search", { type: "search", value: query.get("q") || "", placeholder: "Group name" }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Search")));
  search.addEventListener("submit", (event) => {
    event.preventDefault();
    const { q } = values(search);
    context.navigate("groups", new URLSearchParams(q ? { q } : {}));
  });
  const summary = h("p", { class: "summary", "aria-live": "polite" }, "Loading groups…");
  const results = h("div", { class: "results" });
  context.show(h("section", {}, h("h1", {}, "Customer groups"), createForm(context), search, summary, results),
    { title: "Customer groups" });
  let response;
  try {
    response = await listing;
  } catch (error) {
    if (error.status !== 400 || !context.isCurrent()) throw error;
    summary.textContent = "";
    return showErrors(search, error);
  }
  if (!context.isCurrent()) return;
  const rows = response.customer_groups;
  summary.textContent = [`${formatCount(response.count)} ${response.count === 1 ? "group" : "groups"}`,
    rangeText(position, rows, response.count)].filter(Boolean).join(" · ");
  results.replaceChildren(
    rows.length === 0
      ? h("p", { class: "empty" }, query.get("q") ? "No group matches." : "No groups yet.")
      : table("Customer groups", ["Name", "Created"], rows.map((group) => h("tr", {},
        wideCell("Name", link(groupPath(group.id), group.name)),
        cell("Created", formatTime(group.created_at))))),
    pager("Group pages", position, response, rows, LIMIT, (next) => {
      context.navigate("groups", writePosition(new URLSearchParams(query), next));
    }));
}
