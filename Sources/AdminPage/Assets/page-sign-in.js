// Sign in: POST /admin/auth with email and password; the answer sets the session cookie (HttpOnly: the page
// never sees it) that every later request carries.
import { post } from "./api.js";
import { h } from "./dom.js";
import { field, formError, showErrors, values, whileBusy } from "./forms.js";

/** Only a path of this page may follow sign-in (`next`), never another address. */
function nextPage(query) {
  const next = query.get("next") || "";
  return /^(customers|groups|operations)([/?]|$)/.test(next) ? next : "customers";
}

export async function render(context) {
  const form = h("form", { class: "card narrow", novalidate: true },
    h("h1", {}, "Sign in"),
    formError(),
    field("email", "Email", { type: "email", autocomplete: "username", required: true }),
    field("password", "Password", { type: "password", autocomplete: "current-password", required: true }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Sign in")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { email, password } = values(form);
    try {
      await whileBusy(form, () => post("/admin/auth", { email, password }));
    } catch (error) {
      const wait = error.retryAfter ? ` Try again in ${Math.ceil(error.retryAfter / 60)} min.` : "";
      showErrors(form, error, {
        byStatus: { 401: "Wrong email or password.", 429: "Too many failed sign-ins." + wait },
      });
      return;
    }
    const next = nextPage(context.query);
    const mark = next.indexOf("?");
    context.navigate(mark === -1 ? next : next.slice(0, mark), new URLSearchParams(mark === -1 ? "" : next.slice(mark + 1)));
  });
  context.show(form, { title: "Sign in", focus: form.elements.email });
}
