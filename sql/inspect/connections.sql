-- Connections to this database per process (application_name clientele-serve/<pid>, clientele-worker/<pid>, ...).
SELECT application_name, program, process_id, connections, active, idle, idle_in_transaction,
       date_trunc('second', longest_transaction) AS longest_transaction, client_addresses
FROM inspect.connections
ORDER BY program, application_name;
