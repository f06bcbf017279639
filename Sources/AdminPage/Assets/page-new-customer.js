// Add a customer: POST /admin/customers. The API stores them with an account and, in the same transaction,
// the event from which the worker sends the welcome email.
import { call } from "./api.js";
import { customerPath, h, link } from "./dom.js";
import { field, formError, showErrors, values, whileBusy } from "./forms.js";

export async function render(context) {
  const form = h("form", { class: "card", novalidate: true },
    formError(),
    h("div", { class: "grid" },
      field("email", "Email", { type: "email", autocomplete: "off", required: true }),
      field("phone", "Phone (optional)", { type: "tel", autocomplete: "off" }),
      field("first_name", "First name", { autocomplete: "off", required: true }),
      field("last_name", "Last name", { autocomplete: "off", required: true }),
      field("password", "Password", { type: "password", autocomplete: "new-password", required: true },
        { hint: "At least 8 characters. The customer signs in to the shop with it." })),
    h("div", { class: "actions" },
      h("button", { type: "submit" }, "Create customer"),
      link("customers", "Cancel", { class: "button secondary" })));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = values(form);
    // An empty field is left out, so that the API names what is missing ("first_name must be a string").
    const body = {};
    for (const name of ["email", "first_name", "last_name", "password", "phone"]) {
      if (chosen[name]) body[name] = chosen[name];
    }
    let created;
    try {
      created = await whileBusy(form, () => call("POST", "/admin/customers", { body }));
    } catch (error) {
      // A duplicate is about the email: say it there.
      return showErrors(form, error, { fieldFor: { duplicate_error: "email" } });
    }
    const customer = created.data.customer;
    context.navigate(customerPath(customer.id), new URLSearchParams(),
      `Created ${customer.email}. The welcome email is on its way.`);
  });
  context.show(h("section", {},
    h("p", { class: "breadcrumb" }, link("customers", "Customers"), " / "),
    h("h1", {}, "Add a customer"),
    form), { title: "Add a customer" });
}
