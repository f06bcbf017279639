// One customer group: rename it, see its members page by page, add customers found by search, remove
// members, delete the group.
import { call, forgetGroups, get } from "./api.js";
import { cell, customerPath, formatCount, fullName, groupPath, h, link, table, wideCell } from "./dom.js";
import { field, formError, showErrors, values, whileBusy } from "./forms.js";
import { pageParams, pager, rangeText, readPosition, writePosition } from "./paging.js";

const LIMIT = 20;
const FIELDS = "id,email,first_name,last_name";

function groupURL(id) {
  return "/admin/customer-groups/" + encodeURIComponent(id);
}

function renameForm(context, group) {
  const form = h("form", { class: "card", novalidate: true, "aria-labelledby": "rename-heading" },
    h("h2", { id: "rename-heading" }, "Rename"),
    formError(),
    h("div", { class: "inline" },
      field("name", "Name", { value: group.name, autocomplete: "off" }),
      h("div", { class: "actions" }, h("button", { type: "submit" }, "Rename"))));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { name } = values(form);
    try {
      await whileBusy(form, () => call("POST", groupURL(group.id), { body: { name } }));
    } catch (error) {
      return showErrors(form, error, { fieldFor: { duplicate_error: "name" } });
    }
    forgetGroups();
    context.navigate(groupPath(group.id), new URLSearchParams(), `Renamed to ${name}.`);
  });
  return form;
}

/** Changes membership (POST adds, DELETE removes) and shows the group again with `message`. */
async function changeMembers(context, group, method, customer, message, onError) {
  try {
    await call(method, groupURL(group.id) + "/customers/batch", { body: { customer_ids: [{ id: customer.id }] } });
  } catch (error) {
    return onError(error);
  }
  context.navigate(groupPath(group.id), new URLSearchParams(context.query), message);
}

function addMembers(context, group) {
  const found = h("div", { class: "results" });
  const form = h("form", { class: "card", role: "search", novalidate: true, "aria-labelledby": "add-heading" },
    h("h2", { id: "add-heading" }, "Add customers"),
    formError(),
    h("div", { class: "inline" },
      field("q", "Find customers", { type: "search", placeholder: "Name, email or phone" }),
      h("div", { class: "actions" }, h("button", { type: "submit" }, "Find"))),
    found);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { q } = values(form);
    let answer;
    try {
      answer = await whileBusy(form, () => get("/admin/customers", { q: q || undefined, limit: 10, fields: FIELDS }));
    } catch (error) {
      return showErrors(form, error);
    }
    const onError = (error) => showErrors(form, error);
    found.replaceChildren(answer.customers.length === 0
      ? h("p", { class: "empty", role: "status" }, "No customer found.")
      : h("ul", { class: "found", "aria-label": "Customers found" }, answer.customers.map((customer) => h("li", {},
        h("span", {}, fullName(customer) || "(no name)", " ", h("span", { class: "muted" }, customer.email)),
        h("button", { type: "button", class: "secondary", "data-action": "add-member",
          onclick: () => changeMembers(context, group, "POST", customer,
            `Added ${customer.email} to ${group.name}.`, onError) }, "Add")))));
    found.querySelector("button, p")?.focus();
  });
  return form;
}

function deleteGroup(context, group) {
  const confirmation = h("div", { class: "confirm", hidden: true, role: "group", "aria-label": "Confirm deletion" },
    h("p", {}, `Delete the group ${group.name}? Its customers stay; only the group and its memberships go.`),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "danger", "data-action": "confirm-delete", onclick: async (event) => {
        event.target.disabled = true;
        try {
          await call("DELETE", groupURL(group.id));
        } catch (error) {
          event.target.disabled = false;
          confirmation.querySelector("[role=alert]")?.remove();
          confirmation.append(h("p", { class: "form-error", role: "alert" }, error.message));
          return;
        }
        forgetGroups();
        context.navigate("groups", new URLSearchParams(), `Deleted the group ${group.name}.`);
      } }, "Yes, delete"),
      h("button", { type: "button", class: "secondary", onclick: () => {
        confirmation.hidden = true;
        start.hidden = false;
        start.focus();
      } }, "Cancel")));
  const start = h("button", { type: "button", class: "danger", "data-action": "delete", onclick: () => {
    start.hidden = true;
    confirmation.hidden = false;
    confirmation.querySelector("button").focus();
  } }, "Delete group…");
  return h("section", { class: "card", "aria-labelledby": "delete-group-heading" },
    h("h2", { id: "delete-group-heading" }, "Delete"), start, confirmation);
}

export async function render(context) {
  const [id] = context.params;
  const position = readPosition(context.query);
  const [{ customer_group: group }, members] = await Promise.all([
    get(groupURL(id)),
    get(groupURL(id) + "/customers", { ...pageParams(position, LIMIT), fields: FIELDS }),
  ]);
  const rows = members.customers;
  const memberError = h("p", { class: "form-error", role: "alert", hidden: true });
  const onRemoveError = (error) => {
    memberError.textContent = error.message;
    memberError.hidden = false;
  };
  context.show(h("article", {},
    h("p", { class: "breadcrumb" }, link("groups", "Customer groups"), " / "),
    h("h1", {}, group.name),
    h("section", { class: "card", "aria-labelledby": "members-heading" },
      h("h2", { id: "members-heading" }, "Members"),
      h("p", { class: "summary" }, [`${formatCount(members.count)} ${members.count === 1 ? "member" : "members"}`,
        rangeText(position, rows, members.count)].filter(Boolean).join(" · ")),
      memberError,
      rows.length === 0 ? h("p", { class: "empty" }, "No members yet.")
        : table(`Members of ${group.name}`, ["Name", "Email", ""], rows.map((customer) => h("tr", {},
          wideCell("Name", link(customerPath(customer.id), fullName(customer) || "(no name)")),
          wideCell("Email", customer.email),
          cell("", h("button", { type: "button", class: "secondary", "data-action": "remove-member",
            "aria-label": `Remove ${customer.email} from the group`,
            onclick: () => changeMembers(context, group, "DELETE", customer,
              `Removed ${customer.email} from ${group.name}.`, onRemoveError) }, "Remove"))))),
      pager("Member pages", position, members, rows, LIMIT, (next) => {
        context.navigate(groupPath(group.id), writePosition(new URLSearchParams(context.query), next));
      })),
    addMembers(context, group),
    renameForm(context, group),
    deleteGroup(context, group)), { title: group.name });
}
