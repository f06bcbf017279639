-- Emails by template and status, with the latest error.
SELECT template, status, deliveries, attempts, first_created_at, last_sent_at, latest_error
FROM inspect.email_deliveries
ORDER BY template, status;
