// The shell of the admin page: routes in the URL's fragment (`/app#/customers/cus_…`, so every page is the
// one index.html the server sends at /app), the navigation, signing out, and what every page shares: focus
// moved to the new page's heading, a message carried to the next page, and a 401 leading to sign-in.
import { ApiError, call } from "./api.js";
import { h } from "./dom.js";
import * as signIn from "./page-sign-in.js";
import * as customers from "./page-customers.js";
import * as customer from "./page-customer.js";
import * as newCustomer from "./page-new-customer.js";
import * as groups from "./page-groups.js";
import * as group from "./page-group.js";
import * as operations from "./page-operations.js";

const ROUTES = [
  { pattern: /^sign-in$/, page: signIn, section: null, signedOut: true },
  { pattern: /^customers$/, page: customers, section: "customers" },
  { pattern: /^customers\/new$/, page: newCustomer, section: "customers" },
  { pattern: /^customers\/([^/]+)$/, page: customer, section: "customers" },
  { pattern: /^groups$/, page: groups, section: "groups" },
  { pattern: /^groups\/([^/]+)$/, page: group, section: "groups" },
  { pattern: /^operations$/, page: operations, section: "operations" },
];

const main = document.getElementById("main");
let generation = 0;
let flash = null;

/** `#/customers/cus_1?q=ada` → {path: "customers/cus_1", query: URLSearchParams}. */
function currentLocation() {
  const hash = location.hash.startsWith("#/") ? location.hash.slice(2) : "";
  const mark = hash.indexOf("?");
  const path = mark === -1 ? hash : hash.slice(0, mark);
  return { path: path || "customers", query: new URLSearchParams(mark === -1 ? "" : hash.slice(mark + 1)) };
}

/** Goes to a page; `message` is shown at the top of it. The same address again renders it again. */
function navigate(path, query = new URLSearchParams(), message = null) {
  flash = message;
  const text = query.toString();
  const target = "#/" + path + (text ? "?" + text : "");
  if (location.hash === target) render();
  else location.hash = target;
}

/** A path segment as written by the page's links (URI-encoded); a hand-typed malformed one is kept as it is. */
function decodeSegment(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function signInAgain() {
  const { path, query } = currentLocation();
  const next = path === "sign-in" ? "" : path + (query.toString() ? "?" + query : "");
  navigate("sign-in", new URLSearchParams(next ? { next } : {}));
}

async function render() {
  const mine = ++generation;
  const { path, query } = currentLocation();
  let params = [];
  const route = ROUTES.find((candidate) => {
    const match = candidate.pattern.exec(path);
    if (match) params = match.slice(1).map(decodeSegment);
    return match;
  });
  document.body.classList.toggle("signed-out", Boolean(route && route.signedOut));
  for (const item of document.querySelectorAll("#nav a")) {
    if (route && item.dataset.section === route.section) item.setAttribute("aria-current", "page");
    else item.removeAttribute("aria-current");
  }
  const message = flash;
  flash = null;
  const context = {
    params,
    query,
    navigate,
    /** False once the user went elsewhere: a late answer must not draw over the newer page. */
    isCurrent: () => mine === generation,
    /** Replaces the page; focus goes to `focus` (default: the first heading) so keyboard users start there. */
    show(node, { title, focus } = {}) {
      if (mine !== generation) return false;
      main.replaceChildren(...(message ? [h("p", { class: "flash", role: "status" }, message)] : []), node);
      document.title = (title ? title + " · " : "") + "Clientele";
      const target = focus || main.querySelector("h1");
      if (target) {
        if (target.tagName === "H1") target.tabIndex = -1;
        target.focus();
      }
      return true;
    },
  };
  if (!route) {
    context.show(h("section", {}, h("h1", {}, "Page not found"), h("p", {}, h("a", { href: "#/customers" }, "Go to the customers"))),
      { title: "Not found" });
    return;
  }
  try {
    await route.page.render(context);
  } catch (error) {
    if (mine !== generation) return;
    if (error instanceof ApiError && error.status === 401 && !route.signedOut) return signInAgain();
    context.show(errorView(error), { title: "Error" });
  }
}

/** A page that could not load: the API's message (as text), and a way on. */
function errorView(error) {
  const status = error instanceof ApiError ? error.status : null;
  return h("section", { class: "error-page" },
    h("h1", {}, status === 404 ? "Not found" : "Something went wrong"),
    h("p", { role: "alert" }, error.message || String(error)),
    h("p", {}, h("a", { href: "#/customers" }, "Back to the customers")));
}

document.getElementById("sign-out").addEventListener("click", async () => {
  try {
    await call("DELETE", "/admin/auth");
  } catch (error) {
    // Signed out already (401) or the server is away: the cookie is the server's to end; go to sign-in anyway.
  }
  navigate("sign-in", new URLSearchParams(), "You are signed out.");
});

// The skip link's target is an element, not a route: move focus there without touching the fragment.
document.getElementById("skip-link").addEventListener("click", (event) => {
  event.preventDefault();
  main.focus();
});

window.addEventListener("hashchange", render);
render();
