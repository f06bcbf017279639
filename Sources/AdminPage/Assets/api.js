// The admin API, used as any client uses it (API.md): same-origin requests carrying the session cookie that
// POST /admin/auth set. The page has no other access to anything.

/** An answer other than 2xx, in the API's error shape: `{"type", "message"}`. */
export class ApiError extends Error {
  constructor(status, body, headers) {
    super(body && typeof body.message === "string" ? body.message : `The server answered ${status}.`);
    this.status = status;
    this.type = body && typeof body.type === "string" ? body.type : "unknown_error";
    this.retryAfter = headers ? Number(headers.get("Retry-After")) || null : null;
  }
}

/** `?a=1&groups[]=x&groups[]=y` from an object; empty, null and undefined values are left out. */
export function queryString(params = {}) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    for (const item of Array.isArray(value) ? value : [value]) search.append(key, String(item));
  }
  const text = search.toString();
  return text ? "?" + text : "";
}

/** One request; resolves to `{data, etag}` on 2xx, rejects with an ApiError otherwise. */
export async function call(method, path, { params, body, headers = {} } = {}) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json", ...headers } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path + queryString(params), init);
  const isJSON = (response.headers.get("Content-Type") || "").startsWith("application/json");
  const data = isJSON ? await response.json() : null;
  if (!response.ok) throw new ApiError(response.status, data, response.headers);
  return { data, etag: response.headers.get("ETag") };
}

export async function get(path, params) {
  return (await call("GET", path, { params })).data;
}

export async function post(path, body, params) {
  return (await call("POST", path, { body, params })).data;
}

export async function remove(path, body) {
  return (await call("DELETE", path, { body })).data;
}

// Groups fill the filter and the membership checkboxes of several pages; they are read once and kept until a
// page of this session changes one.
const GROUP_LIST_LIMIT = 1000;
let groupsPromise = null;

/** `{customer_groups, count}`, by name: the first 1000 groups (a shop with more filters by search instead). */
export function allGroups() {
  if (!groupsPromise) {
    groupsPromise = get("/admin/customer-groups", { limit: GROUP_LIST_LIMIT, order: "name" });
    groupsPromise.catch(() => { groupsPromise = null; });
  }
  return groupsPromise;
}

export function forgetGroups() {
  groupsPromise = null;
}
