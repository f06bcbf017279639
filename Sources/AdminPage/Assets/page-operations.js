// Operations: the job queue by state, the email deliveries, and the latest failures with their errors, from
// GET /admin/operations (the `inspect` views an operator would read with psql).
import { get } from "./api.js";
import { cell, formatCount, formatDuration, formatTime, h, table, wideCell } from "./dom.js";

const STATES = ["available", "scheduled", "running", "retryable", "completed", "discarded", "cancelled"];

function stateTotals(queue) {
  const totals = new Map(STATES.map((state) => [state, 0]));
  for (const row of queue) totals.set(row.state, (totals.get(row.state) || 0) + row.jobs);
  return h("ul", { class: "totals", "aria-label": "Jobs by state" }, [...totals].map(([state, jobs]) =>
    h("li", { class: `state-${state}` + (jobs > 0 ? " nonzero" : ""), "data-state": state },
      h("span", { class: "number" }, formatCount(jobs)), " ", h("span", { class: "label" }, state))));
}

export async function render(context) {
  const overview = await get("/admin/operations");
  const { queue, email_deliveries: deliveries, failures } = overview;
  context.show(h("section", {},
    h("div", { class: "heading" },
      h("h1", {}, "Operations"),
      h("button", { type: "button", class: "secondary", onclick: () => context.navigate("operations") }, "Refresh")),
    h("section", { class: "card", "aria-labelledby": "queue-heading" },
      h("h2", { id: "queue-heading" }, "Job queue"),
      stateTotals(queue),
      queue.length === 0 ? h("p", { class: "empty" }, "The queue is empty.")
        : table("Jobs by kind and state", ["Kind", "State", "Jobs", "Oldest", "Next run"], queue.map((row) => h("tr", {},
          wideCell("Kind", row.kind),
          cell("State", row.state),
          cell("Jobs", formatCount(row.jobs)),
          cell("Oldest", formatDuration(row.oldest_age_seconds)),
          cell("Next run", formatTime(row.next_run_at))))),
      h("p", { class: "hint" }, "Completed jobs are kept 24 hours, discarded ones 7 days.")),
    h("section", { class: "card", "aria-labelledby": "deliveries-heading" },
      h("h2", { id: "deliveries-heading" }, "Email deliveries"),
      deliveries.length === 0 ? h("p", { class: "empty" }, "No email sent yet.")
        : table("Email deliveries by template and status",
          ["Template", "Status", "Deliveries", "Attempts", "Last sent", "Latest error"], deliveries.map((row) => h("tr", {},
            cell("Template", row.template),
            cell("Status", row.status),
            cell("Deliveries", formatCount(row.deliveries)),
            cell("Attempts", formatCount(row.attempts)),
            cell("Last sent", formatTime(row.last_sent_at)),
            wideCell("Latest error", row.latest_error ? h("span", { class: "error-text" }, row.latest_error) : "—"))))),
    h("section", { class: "card", "aria-labelledby": "failures-heading" },
      h("h2", { id: "failures-heading" }, "Latest failures"),
      failures.length === 0 ? h("p", { class: "empty" }, "No job has failed.")
        : table("Latest failed attempts", ["Job", "Kind", "State", "Attempt", "Failed", "Next run", "Error"],
          failures.map((row) => h("tr", {},
            cell("Job", String(row.id)),
            cell("Kind", row.kind),
            cell("State", row.state),
            cell("Attempt", `${row.attempt} of ${row.max_attempts}`),
            cell("Failed", formatTime(row.last_error_at)),
            cell("Next run", formatTime(row.next_run_at)),
            wideCell("Error", h("span", { class: "error-text" }, row.last_error || "—"))))))),
  { title: "Operations" });
}
