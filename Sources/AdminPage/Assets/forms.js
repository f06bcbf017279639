// Forms: labelled fields with a place for their error, and the API's validation messages put next to the
// fields they name. The browser's own validation is off (`novalidate`): the API is the one judge, and its
// message is what the user reads.
import { h } from "./dom.js";

let fieldCount = 0;

/**
 * A labelled control. `name` is the API's field name (`first_name`), so that a validation message naming
 * it lands here. `kind` is "input" (default), "select" (with `options`: [value, text] pairs) or "textarea".
 */
export function field(name, label, attributes = {}, { hint, kind = "input", options = [] } = {}) {
  const id = `field-${name}-${++fieldCount}`;
  const describedBy = [hint ? `${id}-hint` : null, `${id}-error`].filter(Boolean).join(" ");
  const common = { id, name, "aria-describedby": describedBy, ...attributes };
  let control;
  if (kind === "select") {
    control = h("select", common, options.map(([value, text]) => h("option", { value }, text)));
  } else if (kind === "textarea") {
    control = h("textarea", common);
  } else {
    control = h("input", { type: "text", ...common });
  }
  return h("div", { class: "field", "data-field": name },
    h("label", { for: id }, label),
    control,
    hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null,
    h("p", { class: "field-error", id: `${id}-error`, hidden: true }));
}

/** The form-level error line (for messages that name no field); put it at the top of the form. */
export function formError() {
  return h("p", { class: "form-error", role: "alert", hidden: true, "data-form-error": "" });
}

export function clearErrors(form) {
  for (const node of form.querySelectorAll(".field-error, [data-form-error]")) {
    node.textContent = "";
    node.hidden = true;
  }
  for (const control of form.querySelectorAll("[aria-invalid]")) control.removeAttribute("aria-invalid");
}

/** True when `message` is about `name` ("email must be an email", "Email cannot be changed …"). */
function isAbout(message, name) {
  return message.toLowerCase().startsWith(name.toLowerCase() + " ");
}

/**
 * Splits the API's message into its parts (API.md: one request's messages joined with ", ", each starting
 * with its field's name). A message may itself contain ", " (a list of allowed values), so the text is only
 * cut where one of `names` follows.
 */
export function splitMessage(message, names) {
  const parts = [];
  let start = 0;
  for (let at = message.indexOf(", "); at !== -1; at = message.indexOf(", ", at + 2)) {
    const rest = message.slice(at + 2);
    if (names.some((name) => isAbout(rest, name)) || rest.startsWith("property ")) {
      parts.push(message.slice(start, at));
      start = at + 2;
    }
  }
  parts.push(message.slice(start));
  return parts;
}

/**
 * Shows an ApiError on `form`: each validation message next to its field, the rest (or a message of
 * `byStatus`, or the error of a field named in `fieldFor[error.type]`) at the top. Focus goes to the first
 * field in error, so a keyboard user lands where the fix is.
 */
export function showErrors(form, error, { byStatus = {}, fieldFor = {} } = {}) {
  clearErrors(form);
  const fields = [...form.querySelectorAll("[data-field]")];
  const names = fields.map((node) => node.dataset.field);
  const general = [];
  const parts = error.status === 400 ? splitMessage(error.message, names) : [error.message];
  for (const part of parts) {
    const name = fieldFor[error.type] || names.find((candidate) => isAbout(part, candidate));
    const node = name && fields.find((candidate) => candidate.dataset.field === name);
    if (!node) {
      general.push(byStatus[error.status] || part);
      continue;
    }
    const message = node.querySelector(".field-error");
    message.textContent = message.textContent ? `${message.textContent}; ${part}` : part;
    message.hidden = false;
    node.querySelector("input, select, textarea")?.setAttribute("aria-invalid", "true");
  }
  const top = form.querySelector("[data-form-error]");
  if (general.length && top) {
    top.textContent = general.join(" ");
    top.hidden = false;
  }
  const firstInvalid = form.querySelector("[aria-invalid]");
  if (firstInvalid) {
    firstInvalid.focus();
  } else if (top && !top.hidden) {
    top.tabIndex = -1;
    top.focus();
  }
}

/** Disables a form's controls while its request runs, and says so on its submit button. */
export async function whileBusy(form, work) {
  const controls = [...form.querySelectorAll("button, input, select, textarea")].filter((c) => !c.disabled);
  for (const control of controls) control.disabled = true;
  form.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    for (const control of controls) control.disabled = false;
    form.removeAttribute("aria-busy");
  }
}

/** A form's values by name, strings trimmed (checkbox groups as arrays of the checked values). */
export function values(form) {
  const result = {};
  for (const control of form.elements) {
    if (!control.name) continue;
    if (control.type === "checkbox") {
      (result[control.name] ||= []);
      if (control.checked) result[control.name].push(control.value);
    } else if (control.type !== "submit" && control.type !== "button") {
      result[control.name] = control.type === "password" ? control.value : control.value.trim();
    }
  }
  return result;
}
