-- No planner statistics on event payloads: no query filters, joins or sorts on them, yet
-- ANALYZE detoasted and measured 30,000 sampled payloads of job_events each time autovacuum
-- analyzed the table (once a minute at 20 jobs/s: 0.34 s of CPU and 0.66 s elapsed on the
-- two-core build machine, a stall every running job felt; docs/bench-jobs.md, session 9).
alter table job_events alter column payload set statistics 0;
alter table outbox alter column payload set statistics 0;
alter table webhook_deliveries alter column payload set statistics 0;
