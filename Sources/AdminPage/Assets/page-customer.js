// One customer: details, groups, addresses and metadata; edit and delete.
//
// An edit is sent with `If-Match: <the ETag the page was loaded with>` (API.md): when someone changed the
// customer in the meantime the API answers 412 and nothing is overwritten. The page then shows what is saved
// now next to what the user wanted, and lets them keep the saved version or save theirs over it knowingly.
import { allGroups, call } from "./api.js";
import { customerPath, details, formatTime, fullName, groupPath, h, link } from "./dom.js";
import { field, formError, showErrors, values, whileBusy } from "./forms.js";

const EXPAND = "billing_address,shipping_addresses,groups";
const LABELS = { email: "Email", first_name: "First name", last_name: "Last name", phone: "Phone",
  metadata: "Metadata", groups: "Groups" };

function load(id) {
  return call("GET", "/admin/customers/" + encodeURIComponent(id), { params: { expand: EXPAND } });
}

function isPlainObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function describe(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * The update body for what the user changed, or `{error}` for metadata that is not a JSON object. Metadata
 * is merged by the API: changed keys are sent, removed keys are sent as "" (API.md: "" removes a key).
 */
export function changes(customer, chosen) {
  const body = {};
  for (const name of ["first_name", "last_name", "phone"]) {
    const value = chosen[name] === "" ? null : chosen[name];
    if (value !== (customer[name] ?? null)) body[name] = value;
  }
  if (!customer.has_account && chosen.email !== customer.email) body.email = chosen.email;
  let metadata;
  try {
    metadata = chosen.metadata === "" ? {} : JSON.parse(chosen.metadata);
  } catch {
    metadata = undefined;
  }
  if (!isPlainObject(metadata)) return { error: "metadata must be a JSON object, such as {\"source\": \"shop\"}" };
  const before = customer.metadata || {};
  const patch = {};
  for (const [key, value] of Object.entries(metadata)) {
    if (JSON.stringify(value) !== JSON.stringify(before[key])) patch[key] = value;
  }
  for (const key of Object.keys(before)) if (!(key in metadata)) patch[key] = "";
  if (Object.keys(patch).length) body.metadata = patch;
  const current = (customer.groups || []).map((group) => group.id).sort();
  const wanted = [...(chosen.groups || [])].sort();
  if (current.join(",") !== wanted.join(",")) body.groups = wanted.map((id) => ({ id }));
  return { body };
}

function addressView(address, isBilling) {
  const name = [address.first_name, address.last_name].filter(Boolean).join(" ");
  const place = [address.postal_code, address.city].filter(Boolean).join(" ");
  const lines = [name, address.company, address.address_1, address.address_2, place, address.province,
    (address.country_code || "").toUpperCase(), address.phone].filter(Boolean);
  return h("li", { class: "address" },
    isBilling ? h("p", { class: "badge" }, "Billing address") : null,
    lines.map((line) => h("span", { class: "line" }, line)));
}

function groupCheckboxes(customer, groups) {
  const memberOf = new Set((customer.groups || []).map((group) => group.id));
  const known = new Map(groups.map((group) => [group.id, group]));
  for (const group of customer.groups || []) if (!known.has(group.id)) known.set(group.id, group);
  const choices = [...known.values()];
  return h("fieldset", { class: "field checkboxes", "data-field": "groups" },
    h("legend", {}, "Groups"),
    choices.length === 0 ? h("p", { class: "hint" }, "There are no groups yet.") : null,
    choices.map((group, index) => h("label", { class: "checkbox" },
      h("input", { type: "checkbox", name: "groups", value: group.id, checked: memberOf.has(group.id),
        id: `group-choice-${index}` }),
      " ", group.name)),
    h("p", { class: "field-error", hidden: true }));
}

/** A field's value as the conflict table shows it. */
function shown(customer, name) {
  if (name === "groups") return (customer.groups || []).map((group) => group.name).sort().join(", ") || "none";
  if (name === "metadata") return JSON.stringify(customer.metadata || {});
  const value = customer[name];
  return value === null || value === undefined || value === "" ? "—" : describe(value);
}

/**
 * The 412 answer made visible: every field that someone else changed or that the user changed, with the
 * value saved now next to the user's. Nothing was written; the user chooses.
 */
function conflictView(context, opened, saved, body, resave) {
  const theirs = Object.keys(LABELS).filter((name) => shown(opened, name) !== shown(saved, name));
  const names = [...new Set([...theirs, ...Object.keys(body)])];
  const rows = names.map((name) => {
    let mine = "(unchanged)";
    if (name === "groups" && body.groups) mine = `${body.groups.length} selected`;
    else if (name === "metadata" && body.metadata) mine = JSON.stringify(body.metadata) + " (changes)";
    else if (name in body) mine = body[name] === null || body[name] === "" ? "—" : describe(body[name]);
    return h("tr", {}, h("th", { scope: "row" }, LABELS[name] || name),
      h("td", { "data-label": "Saved now" }, shown(saved, name)),
      h("td", { "data-label": "Yours" }, mine));
  });
  return h("div", { class: "conflict", role: "alert", "data-conflict": "" },
    h("h2", { tabindex: -1 }, "Someone else changed this customer"),
    h("p", {}, `Your changes were not saved: the customer was changed (last update ${formatTime(saved.updated_at)}) after you opened this page.`),
    h("div", { class: "table-wrap" }, h("table", { class: "list compare" },
      h("caption", { class: "visually-hidden" }, "Saved values and your changes"),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Field"), h("th", { scope: "col" }, "Saved now"),
        h("th", { scope: "col" }, "Yours"))),
      h("tbody", {}, rows))),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "secondary", "data-action": "keep-theirs",
        onclick: () => context.navigate(customerPath(opened.id), new URLSearchParams(), "Showing the saved version; your changes were dropped.") },
      "Keep the saved version"),
      h("button", { type: "button", "data-action": "save-mine", onclick: resave }, "Save mine over it")));
}

function editForm(context, customer, etag, groups) {
  const form = h("form", { class: "card", novalidate: true, "aria-labelledby": "edit-heading" },
    h("h2", { id: "edit-heading" }, "Edit"),
    formError(),
    h("div", { class: "grid" },
      field("first_name", "First name", { value: customer.first_name || "", autocomplete: "off" }),
      field("last_name", "Last name", { value: customer.last_name || "", autocomplete: "off" }),
      field("email", "Email", { type: "email", value: customer.email, readOnly: customer.has_account },
        { hint: customer.has_account ? "A registered customer's email cannot be changed." : null }),
      field("phone", "Phone", { type: "tel", value: customer.phone || "" })),
    field("metadata", "Metadata", { value: JSON.stringify(customer.metadata || {}, null, 2), rows: 4, spellcheck: "false" },
      { kind: "textarea", hint: "A JSON object. Keys you remove are deleted." }),
    groupCheckboxes(customer, groups),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Save changes")));
  const conflictSlot = h("div", {});
  const save = async (body, ifMatch) => {
    try {
      await whileBusy(form, () => call("POST", "/admin/customers/" + encodeURIComponent(customer.id),
        { body, params: { expand: EXPAND }, headers: ifMatch ? { "If-Match": ifMatch } : {} }));
    } catch (error) {
      if (error.status !== 412) return showErrors(form, error);
      let saved;
      try {
        saved = await load(customer.id);
      } catch (loadError) {
        return showErrors(form, loadError);
      }
      if (!context.isCurrent()) return;
      const panel = conflictView(context, customer, saved.data.customer, body, () => save(body, saved.etag));
      conflictSlot.replaceChildren(panel);
      panel.querySelector("h2").focus();
      return;
    }
    context.navigate(customerPath(customer.id), new URLSearchParams(), "Changes saved.");
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    conflictSlot.replaceChildren();
    const { body, error } = changes(customer, values(form));
    if (error) return showErrors(form, { status: 400, type: "invalid_data", message: error });
    if (Object.keys(body).length === 0) {
      return showErrors(form, { status: 0, type: "none", message: "Nothing changed." });
    }
    save(body, etag);
  });
  return h("section", {}, conflictSlot, form);
}

function deleteSection(context, customer) {
  const name = fullName(customer) || customer.email;
  const confirmation = h("div", { class: "confirm", hidden: true, role: "group", "aria-label": "Confirm deletion" },
    h("p", {}, `Delete ${name}? The customer disappears from every list and their email becomes free.`),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "danger", "data-action": "confirm-delete", onclick: async (event) => {
        event.target.disabled = true;
        try {
          await call("DELETE", "/admin/customers/" + encodeURIComponent(customer.id));
        } catch (error) {
          event.target.disabled = false;
          confirmation.querySelector("[role=alert]")?.remove();
          confirmation.append(h("p", { class: "form-error", role: "alert" }, error.message));
          return;
        }
        context.navigate("customers", new URLSearchParams(), `Deleted ${name}.`);
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
  } }, "Delete customer…");
  return h("section", { class: "card", "aria-labelledby": "delete-heading" },
    h("h2", { id: "delete-heading" }, "Delete"), start, confirmation);
}

/** What the page shows of the customer: details, groups, addresses and metadata. */
function overview(customer) {
  const metadata = Object.entries(customer.metadata || {});
  const billing = customer.billing_address_id;
  return h("div", { class: "overview" },
    h("section", { class: "card", "aria-labelledby": "details-heading" },
      h("h2", { id: "details-heading" }, "Details"),
      details([
        ["Email", customer.email],
        ["Phone", customer.phone || "—"],
        ["Account", customer.has_account ? "Registered" : "Guest (no account)"],
        ["Created", formatTime(customer.created_at)],
        ["Updated", formatTime(customer.updated_at)],
        ["Id", h("code", {}, customer.id)],
      ])),
    h("section", { class: "card", "aria-labelledby": "groups-heading" },
      h("h2", { id: "groups-heading" }, "Groups"),
      (customer.groups || []).length
        ? h("ul", { class: "tags" }, customer.groups.map((group) => h("li", {}, link(groupPath(group.id), group.name))))
        : h("p", { class: "empty" }, "In no group.")),
    h("section", { class: "card", "aria-labelledby": "addresses-heading" },
      h("h2", { id: "addresses-heading" }, "Addresses"),
      (customer.shipping_addresses || []).length
        ? h("ul", { class: "addresses" }, customer.shipping_addresses.map((address) => addressView(address, address.id === billing)))
        : h("p", { class: "empty" }, "No address.")),
    h("section", { class: "card", "aria-labelledby": "metadata-heading" },
      h("h2", { id: "metadata-heading" }, "Metadata"),
      metadata.length
        ? details(metadata.map(([key, value]) => [key, describe(value)]))
        : h("p", { class: "empty" }, "No metadata.")));
}

export async function render(context) {
  const [id] = context.params;
  const [{ data, etag }, groups] = await Promise.all([
    load(id),
    allGroups().then((answer) => answer.customer_groups, () => []),
  ]);
  const customer = data.customer;
  const title = fullName(customer) || customer.email;
  context.show(h("article", {},
    h("p", { class: "breadcrumb" }, link("customers", "Customers"), " / "),
    h("h1", {}, title),
    overview(customer),
    editForm(context, customer, etag, groups),
    deleteSection(context, customer)), { title });
}
